"""Delivering what Tandem owes people in Slack: exactly once, retried, or visibly failed.

`slack_deliveries` (storage) holds one row per message owed; `engine` claims, posts and
settles rows; `cards` and `notices` say what a card or a notice is and what follows its post;
`failures` tells ops what could not be delivered.
"""
