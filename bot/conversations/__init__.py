"""What Tandem does with what it hears in linked Slack Connect channels (signals' citations,
the optional LLM topic classifier)."""
