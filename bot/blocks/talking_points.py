"""A card's draft as talking points: short bullets a person can speak from (pure text, no Slack).

The greeting and the sign-off go (a call has its own); what remains is split into sentences, one
point each, a long sentence cut at a clause and then shortened. A draft is a starting point in
the tone the moment needs, not a script: a few points are enough.
"""

from __future__ import annotations

import re

MAX_POINTS = 6
POINT_CHARS = 200
GREETING = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^.!?]{0,60}[,!:]?\s*$", re.I)
SIGN_OFF = re.compile(
    r"^(best|best regards|kind regards|regards|thanks|thank you|many thanks|cheers|warmly|sincerely"
    r"|talk soon|all the best)\b[^.!?]{0,30}[,.!]?\s*$",
    re.I,
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])")
BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")
CLAUSE = re.compile(r"(?<=[;:—–])\s+|\s+(?=—)")


def talking_points(body: str, *, limit: int = MAX_POINTS, chars: int = POINT_CHARS) -> list[str]:
    """The draft's substance as up to `limit` short points, in the draft's order."""
    points: list[str] = []
    for paragraph in _paragraphs(body):
        for sentence in _sentences(paragraph):
            points.extend(_shortened(sentence, chars))
    unique: list[str] = []
    for point in points:
        if point.lower() not in (kept.lower() for kept in unique):
            unique.append(point)
    return unique[:limit]


def _paragraphs(body: str) -> list[str]:
    """The draft's paragraphs without the greeting, the sign-off and the name under it."""
    lines = [line.strip() for line in body.replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    for index, line in enumerate(lines):
        if SIGN_OFF.match(line):
            break  # the sign-off and everything under it (a name, a title)
        if index == _first_text(lines) and GREETING.match(line):
            continue
        kept.append(line)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in kept:
        if not line or BULLET.match(line):
            if current:
                paragraphs.append(" ".join(current))
            current = [BULLET.sub("", line)] if line else []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return [p for p in paragraphs if p.strip()]


def _first_text(lines: list[str]) -> int:
    return next((index for index, line in enumerate(lines) if line), -1)


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(" ".join(paragraph.split())) if s.strip()]


def _shortened(sentence: str, chars: int) -> list[str]:
    if len(sentence) <= chars:
        return [sentence]
    parts = [p.strip() for p in CLAUSE.split(sentence) if p.strip()]
    if len(parts) == 1:
        return [_cut(sentence, chars)]
    return [_cut(part, chars) for part in parts]


def _cut(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    head = text[: chars - 1]
    space = head.rfind(" ")
    return (head[:space] if space > chars // 2 else head).rstrip(" ,;:") + "…"
