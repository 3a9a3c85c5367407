"""Linked Slack Connect channels: what a message event means (heard), storing it once
(ingest), reading a channel's history (backfill), citing messages and the optional LLM topic
classifier."""
