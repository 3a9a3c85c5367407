"""Listening in linked Slack Connect channels: what a message event means (heard), storing it
once (ingest), reading a channel's history (backfill)."""
