"""Checks a draft must pass before it reaches a card (v1: emptiness, placeholders, tone)."""

from __future__ import annotations

import re

CELEBRATORY = re.compile(
    r"celebrat|congratulat|exciting|thrilled|woohoo|amazing news|🎉|🥳|🎊|another successful year",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(r"\{\{|\}\}|\[(?:name|company|first name|contact|insert[^\]]*)\]", re.IGNORECASE)
MAX_BODY_CHARS = 3000


def findings(*, subject: str, body: str, crisis: bool) -> list[str]:
    """What is wrong with a draft, in words; empty when it may go on a card."""
    problems: list[str] = []
    if not body.strip():
        problems.append("the draft is empty")
    if len(body) > MAX_BODY_CHARS:
        problems.append(f"the draft is {len(body)} characters, over the {MAX_BODY_CHARS} limit")
    if PLACEHOLDER.search(subject) or PLACEHOLDER.search(body):
        problems.append("the draft still contains a placeholder")
    if crisis and (CELEBRATORY.search(subject) or CELEBRATORY.search(body)):
        problems.append("celebratory tone during an active crisis")
    return problems
