"""`tune …`: what Tandem learns from people's decisions, as reports, proposals and reviews."""
