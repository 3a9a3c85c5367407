"""A workflow's refusal: the one answer type for "not done", carrying what the person is told.

Every workflow a person triggers (a click, a slash command, a menu choice) returns its result or
a `Refused` whose `message` is the sentence shown to them, privately. The message names what was
wrong (the card was already decided, by whom and when; the user may not act on that account;
the input was empty) and that nothing changed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refused:
    message: str
