"""A customer's message cited on a card, in a brief or in `explain`: its permalink and a short
fenced excerpt, never a long quotation (pure).

The excerpt is data, not markup: Slack's control characters are escaped (no mention, link or
channel ping survives), backticks cannot close the fence, and it is cut to EXCERPT_CHARS. A
message whose text was purged (retention) is cited by its permalink alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.blocks.mrkdwn import escape

EXCERPT_CHARS = 120
_MARKUP = re.compile(r"<[^>]*>")  # <@U123>, <#C1|name>, <https://…|label>, <!here>
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Citation:
    message_id: int
    posted_at: datetime
    permalink: str | None  # None: Slack could not be asked (the terminal preview) or refused
    text: str | None  # None: purged after the retention period (cited by permalink only)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of the message on one line, its Slack markup neutralised."""
    plain = _MARKUP.sub("[…]", text)
    plain = plain.replace("`", "'")  # a backtick could close the fence
    plain = _SPACE.sub(" ", plain).strip()
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return escape(plain)


def citation_mrkdwn(citation: Citation) -> str:
    """ "<permalink|message of 4 Dec 14:02 UTC>" and, when its text is still kept, the fenced excerpt."""
    when = f"{citation.posted_at:%d %b %H:%M} UTC"
    link = f"<{citation.permalink}|message of {when}>" if citation.permalink else f"message of {when}"
    if citation.text is None:
        return f"{link} (text no longer kept)"
    return f"{link}\n```{excerpt(citation.text)}```"


def citation_plain(citation: Citation) -> str:
    """For terminals and JSON: the permalink and the excerpt, fenced, without Slack's link syntax."""
    where = citation.permalink or f"message {citation.message_id}"
    if citation.text is None:
        return f"{where} (text no longer kept)"
    return f"{where}\n```{excerpt(citation.text)}```"
