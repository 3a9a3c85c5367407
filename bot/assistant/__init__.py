"""Ask Tandem: the conversational assistant in DMs, mentions and Tandem's own threads.

`grammar` reads a message without an LLM (always tried first); `reads` answers questions from
Tandem's stored facts with their sources; `actions` turns a request that changes something into
a Confirm card (never run from words alone); `llm` answers free-form questions through tool
calls onto the same reads and actions; `router` puts them together for one turn.
"""
