"""Learning from what people do with Tandem's decisions: labels, measures, proposals, reviews."""
