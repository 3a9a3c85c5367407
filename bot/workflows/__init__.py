"""bot/workflows."""
