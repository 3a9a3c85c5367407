"""Small helpers for Slack mrkdwn text: escaping, Tandem's own mentions, safe truncation.

Every piece of text is escaped, so nothing a customer (or an import) wrote can ping or link.
Mentions Tandem itself writes (the account executive on a hand-off, the CSM who flagged an
account) travel as ids beside the text; `escape_keeping` escapes the text, then restores only
the mentions of those ids, each a well-formed Slack user or channel id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scoring.money import money as format_money

USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]{2,20})(?:\|[^>]*)?>")

BAND_EMOJI = {"green": "🟢", "yellow": "🟡", "red": "🔴"}
SECTION_TEXT_LIMIT = 3000


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(slack_id: str) -> str | None:
    """`<@U…>` for a user id, `<#C…>` for a channel id; None for anything else."""
    if USER_ID.fullmatch(slack_id):
        return f"<@{slack_id}>"
    if CHANNEL_ID.fullmatch(slack_id):
        return f"<#{slack_id}>"
    return None


def channel_id(value: str) -> str | None:
    """The channel id in a setting written as `C0123ABC` or `<#C0123ABC|sales>`, else None
    (a `#name` is not an id: Slack links a channel only by its id)."""
    value = value.strip()
    if CHANNEL_ID.fullmatch(value):
        return value
    link = CHANNEL_LINK.fullmatch(value)
    return link.group(1) if link else None


def restore_mentions(escaped: str, mentions: Iterable[str]) -> str:
    """Escaped text with Tandem's own mentions of these ids turned back into mentions."""
    for slack_id in mentions:
        link = slack_link(slack_id)
        if link is not None:
            escaped = escaped.replace(escape(link), link)
    return escaped


def escape_keeping(text: str, mentions: Iterable[str]) -> str:
    """`escape(text)`, keeping the mentions of `mentions` (ids Tandem wrote) as mentions."""
    return restore_mentions(escape(text), mentions)


def truncate(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def band_label(band: str, score: int) -> str:
    return f"{BAND_EMOJI.get(band, '⚪')} {score} ({band})"


def money(amount: float) -> str:
    """An amount in the deployment's currency, compact for cards ("€60k"; scoring.money)."""
    return format_money(amount, compact=True)
