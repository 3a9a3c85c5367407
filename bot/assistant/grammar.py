"""A small grammar for what people ask Tandem, tried before any LLM (so the assistant works with
OPENAI_API_KEY unset, answers in well under a second, and costs nothing). Pure: text in, an Ask
out, or None when the message is not one of these shapes (the LLM, when configured, tries then).

The account is left as typed; "this" / "it" means the account of the card whose thread the
message is in. Resolving it (fuzzy, within the asker's scope) is the caller's job.
"""

from __future__ import annotations

import re

from bot.assistant.types import Ask, Intent
from storage.enums import SnoozeMode

MENTION = re.compile(r"<[@#!][^>]*>")
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "thirty": 30,
}  # fmt: skip
DURATION = r"(?P<n>\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+(?P<unit>days?|weeks?|months?)"
MAX_PAUSE_DAYS = 90
SMALL_TALK = re.compile(r"how(['’]s| is| are) (it|things|everything|you|life)( going| doing)?", re.IGNORECASE)
THIS = {"this", "it", "this one", "this account", "this card", "them", "they"}

# (intent, pattern): the first that matches the whole message wins. `a` is the account.
PATTERNS: tuple[tuple[Intent, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(pattern, re.IGNORECASE))
    for intent, pattern in (
        (Intent.HELP, r"(help|what can you do|how do (i|you) use (this|tandem)|commands)"),
        (Intent.WHY_RED, r"why (is|are) (?P<a>.+?) (red|yellow|at risk|unhealthy|in the red|so low)"),
        (Intent.WHY_RED, r"why (is|did) (?P<a>.+?)(['’]s)? (health|score) (so low|drop|dropped|fall|fell)"),
        (Intent.HOW_IS, r"how(['’]s| is| are) (?P<a>.+?)( doing| going)?"),
        (Intent.HOW_IS, r"(status|health) (of|for|on) (?P<a>.+)"),
        (
            Intent.WHAT_CHANGED,
            r"what(['’]s| has)? changed (at|on|for|with) (?P<a>.+?)"
            r"( since last month| (in|over) the last (month|30 days)| lately| recently)?",
        ),
        (
            Intent.NEEDS_ME,
            r"what (needs|is waiting for|wants) (me|my attention)( today| now)?"
            r"|what(['’]s| is) on my plate( today)?|anything for me( today)?",
        ),
        (
            Intent.RENEWALS,
            r"((which|what) (of )?(my |our |the )?(accounts )?(renew|are renewing|come up for renewal)"
            r"( this quarter| soon)?.*|renewals( this quarter)?.*)",
        ),
        (Intent.OVERRIDE_LOG, r"(show( me)? )?(the )?override(s| log)( log)? (for|on|of) (?P<a>.+)"),
        (
            Intent.WHAT_SENT,
            r"what (did|have|has) (tandem|you|we) (send|sent)( to)? (?P<a>.+?)( lately| recently)?",
        ),
        (Intent.BRIEF, r"(brief( me)?( on)?|give me a brief (on|for)|account brief (for|on)) (?P<a>.+)"),
        (Intent.QBR, r"(a )?qbr( brief)? (for|on) (?P<a>.+)|qbr (?P<b>.+)"),
        (Intent.DRAFT_CHECKIN, r"(draft|write) (me )?(a )?check[- ]?in (for|to|with) (?P<a>.+)"),
        (
            Intent.PAUSE,
            r"pause (automation|automated (outreach|touches|emails)|tandem) (on|for) (?P<a>.+?)"
            r"( for "
            + DURATION
            + r")?((\s*[,:;.]+|\s+[-—–]+)\s*(?P<why>.+)|\s+(?P<why2>(because|as|since) .+))?",
        ),
        (Intent.ALWAYS_HUMAN, r"(make |set |keep )?(?P<a>.+?) always human|always human (on|for) (?P<b>.+)"),
        (Intent.FLAG, r"flag (?P<a>.+?)(\s*:|\s+(-|—|–|because))\s*(?P<why>.+)"),
        (Intent.SNOOZE, r"snooze (this|it)( card| one)?( for " + DURATION + r"| until (it gets )?worse)?"),
        (Intent.TAKE_OVER, r"(i(['’]ll| will) )?take (this|it)( one)? over|i(['’]ve| have) got (this|it)"),
    )
)


def parse(text: str) -> Ask | None:
    """What the message asks, or None (not a shape this grammar knows)."""
    cleaned = _clean(text)
    if not cleaned:
        return Ask(Intent.HELP)
    if SMALL_TALK.fullmatch(cleaned):
        return None  # "how's it going": not about an account
    for intent, pattern in PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match is None:
            continue
        groups = match.groupdict()
        account = _account(groups.get("a") or groups.get("b"))
        if intent is Intent.PAUSE:
            return Ask(
                intent, account, days=_days(groups), reason=(groups.get("why") or groups.get("why2") or None)
            )
        if intent is Intent.FLAG:
            return Ask(intent, account, reason=(groups.get("why") or "").strip() or None)
        if intent is Intent.SNOOZE:
            return Ask(intent, "this", snooze=_snooze_mode(cleaned, groups))
        if intent is Intent.TAKE_OVER:
            return Ask(intent, "this")
        return Ask(intent, account)
    return None


def _clean(text: str) -> str:
    """The message without mentions, quotes, trailing punctuation or extra spaces."""
    text = MENTION.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip(" ?!.")
    text = re.sub(r"^(and|so|also|ok|okay)[, ]+", "", text, flags=re.IGNORECASE)  # a follow-up
    return re.sub(
        r"^(hey|hi|hello|tandem|please|pls|can you|could you)[, ]+", "", text, flags=re.IGNORECASE
    ).strip(" ?!.")


def _account(raw: str | None) -> str | None:
    if raw is None:
        return None
    name = raw.strip(" '\"“”‘’*_`?!.,")
    name = re.sub(r"^(the account |account |customer )", "", name, flags=re.IGNORECASE)
    return "this" if name.lower() in THIS else (name or None)


def _days(groups: dict[str, str | None]) -> int | None:
    n, unit = groups.get("n"), groups.get("unit")
    if n is None or unit is None:
        return None
    count = int(n) if n.isdigit() else NUMBER_WORDS[n.lower()]
    per = 7 if unit.lower().startswith("week") else 30 if unit.lower().startswith("month") else 1
    return count * per


def _snooze_mode(text: str, groups: dict[str, str | None]) -> str | None:
    if "worse" in text.lower():
        return SnoozeMode.UNTIL_WORSE.value
    days = _days(groups)
    if days is None:
        return None  # ask which
    return {1: SnoozeMode.ONE_DAY, 3: SnoozeMode.THREE_DAYS, 7: SnoozeMode.ONE_WEEK}.get(
        days, SnoozeMode.ONE_WEEK
    ).value
