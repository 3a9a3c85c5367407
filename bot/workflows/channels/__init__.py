"""Slack Connect channels and their accounts: joining (read the channel, classify its members,
match their email domains to an account), the owner's or ops' decisions (link, not this account,
exclude, unlink) and the retention of message text (the daily purge, ops' Purge now)."""
