"""Trigger tuning from the override log: `tune report` (and, later, proposals and their replays)."""
