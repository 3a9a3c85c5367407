"""Learning from what people decide: audit samples below the line, labels, measures, proposals."""
