"""bot/blocks."""
