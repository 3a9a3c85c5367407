"""Tone follows the account: its context and the customer's sentiment choose the register.

Pure. A crisis context (security incident, layoffs, merger, champion change) means brief and
supportive, no marketing voice; frustrated customers (angry ticket language, escalation
requests, urgent open tickets, the sentiment trigger) get plain and attentive; an expansion
note is internal. The register steers the prompt and the template, and validation enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.types import Severity, Ticket

FRUSTRATED_TONE = -0.3  # mean VADER compound of recent tickets at or below this reads as frustrated


@dataclass(frozen=True)
class Register:
    key: str  # crisis | frustrated | standard | internal
    guidance: str  # the rule the system prompt states
    no_cheer: bool  # celebratory words are refused
    no_marketing: bool  # marketing and sales language is refused
    no_exclamation: bool


CRISIS = Register(
    "crisis",
    "The customer is going through a difficult time right now (a crisis context is active). Be brief and "
    "supportive. No upbeat, celebratory or sales tone: no \"celebrate\", \"congratulations\", \"exciting\", "
    "\"great news\", no exclamation marks, no emoji, no upsell, no metrics.",
    no_cheer=True, no_marketing=True, no_exclamation=True,
)  # fmt: skip
FRUSTRATED = Register(
    "frustrated",
    "The customer is frustrated (recent tickets, escalations). Be plain and attentive: acknowledge the "
    "problem first, say what you will do next, no marketing language, no exclamation marks, no emoji, no upsell.",
    no_cheer=True, no_marketing=True, no_exclamation=True,
)  # fmt: skip
STANDARD = Register(
    "standard",
    "Plain, warm and professional; no marketing language, no hype.",
    no_cheer=False, no_marketing=True, no_exclamation=False,
)  # fmt: skip
INTERNAL = Register(
    "internal",
    "An internal note to a colleague, not to the customer: factual and concise; short lines are fine.",
    no_cheer=False, no_marketing=False, no_exclamation=False,
)  # fmt: skip


DOCUMENT_CRISIS = Register(
    "crisis",
    "A crisis context is active for this account: say plainly what is happening; no upbeat or celebratory "
    "tone, no exclamation marks, no emoji, no sales push.",
    no_cheer=True, no_marketing=True, no_exclamation=True,
)  # fmt: skip
DOCUMENT = Register(
    "standard",
    "Factual and plain, for a colleague preparing a meeting; no marketing language, no hype.",
    no_cheer=False, no_marketing=True, no_exclamation=False,
)  # fmt: skip


def document_register(*, crisis: bool) -> Register:
    """Briefs are read by the CS team, not the customer: plain either way, sober in a crisis."""
    return DOCUMENT_CRISIS if crisis else DOCUMENT


def is_frustrated(tickets: tuple[Ticket, ...], *, trigger: str = "") -> bool:
    if trigger == "sentiment":
        return True
    if any(t.is_escalation_request for t in tickets):
        return True
    if any(t.closed_at is None and t.severity is Severity.URGENT for t in tickets):
        return True
    tones = [t.sentiment for t in tickets if t.sentiment is not None]
    return bool(tones) and sum(tones) / len(tones) <= FRUSTRATED_TONE


def register_for(*, crisis: bool, internal: bool, tickets: tuple[Ticket, ...], trigger: str = "") -> Register:
    if crisis:
        return CRISIS
    if internal:
        return INTERNAL
    return FRUSTRATED if is_frustrated(tickets, trigger=trigger) else STANDARD
