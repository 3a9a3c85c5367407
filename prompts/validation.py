"""Checks an LLM draft must pass before it reaches a card (v1: emptiness, placeholders, tone,
figures that are not in the facts). Each finding is a short phrase for the card's review note."""

from __future__ import annotations

import re
from collections.abc import Iterable

CELEBRATORY = re.compile(
    r"\b(?:celebrat|congrat)\w*|\bexcit(?:ing|ed)\b|\bthrilled\b|\bwoo+hoo\b|\bhooray\b|\byay\b|"
    r"\b(?:great|amazing) news\b|"
    r"fantastic news|🎉|🥳|🎊|🍾|🥂|🎈|🚀",
    re.IGNORECASE,
)
# "{{ name }}", "{name}", "[Name]", "[Company Name]", "[First name]", "<Your Name>", "TODO".
PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{[a-z_]+\}|\[(?:[A-Z][A-Za-z]*)(?:[ _-][A-Za-z]+){0,3}\]|<(?:[A-Z][a-z]+)(?: [A-Za-z]+){0,3}>|\bTODO\b"
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MAX_SUBJECT_CHARS = 200


def numbers_in(text: str) -> set[str]:
    """Every figure in the text, normalised: "60,000" and "60000.0" are both "60000"."""
    return {_normalise(match) for match in NUMBER.findall(text)}


def _normalise(figure: str) -> str:
    digits = figure.replace(",", "")
    try:
        value = float(digits)
    except ValueError:  # "1.2.3" (a version or a date with dots): keep it as written
        return digits
    return str(int(value)) if value.is_integer() else repr(value)


def findings(
    *, subject: str, body: str, crisis: bool, known_numbers: Iterable[str] | None = None, max_chars: int
) -> list[str]:
    """What is wrong with a draft, in words; empty when it may go on a card.

    `known_numbers` are the normalised figures of the facts the LLM was given (not of quoted
    customer text); a figure outside them is reported. None skips that check.
    """
    problems: list[str] = []
    if not body.strip():
        problems.append("the body is empty")
    if not subject.strip():
        problems.append("the subject is empty")
    if len(body) > max_chars:
        problems.append(f"the body is {len(body)} characters, over the {max_chars} limit")
    if len(subject) > MAX_SUBJECT_CHARS:
        problems.append(f"the subject is over {MAX_SUBJECT_CHARS} characters")
    placeholder = PLACEHOLDER.search(subject) or PLACEHOLDER.search(body)
    if placeholder:
        problems.append(f"it contains the placeholder {placeholder.group(0)!r}")
    if crisis:
        cheer = CELEBRATORY.search(subject) or CELEBRATORY.search(body)
        if cheer:
            problems.append(f"celebratory tone ({cheer.group(0)!r}) during an active crisis")
    if known_numbers is not None:
        unknown = sorted(numbers_in(subject + "\n" + body) - set(known_numbers))
        if unknown:
            problems.append(f"it mentions figures not in the account's facts: {', '.join(unknown[:5])}")
    return problems
