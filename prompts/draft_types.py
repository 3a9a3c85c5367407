"""The drafting service's contract: what a drafter is asked, what it answers, and the facts hash.

Plain frozen data, so the bot can build requests without knowing which drafter (template or
LLM) will write the text, and a stored draft can be traced back to the exact facts it used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Protocol

from scoring.types import ContextEvent, FactorScore, Ticket

TEMPLATE_AUTHOR = "template"
# The version of each kind's prompt and template; bump it when the wording changes, so a draft
# stored with one version can be told apart from one written by the next.
PROMPT_VERSIONS: Mapping[str, str] = {"check_in": "check_in@1", "brief": "brief@1"}
# v1 writes every outreach kind with the check-in templates.
DEFAULT_KIND = "check_in"


@dataclass(frozen=True)
class DraftRequest:
    """One outreach draft (an email from the CSM to the customer's contact).

    `facts` holds extra figures (factor details such as "usage", seats, utilisation, ...).
    A `Ticket` (or a tuple of them) among the facts is customer-written text: the LLM sees it
    only as quoted data, never as part of the facts it may cite.
    """

    kind: str  # "check_in" in v1 (later: renewal_reminder, onboarding_nudge, expansion_note)
    account_name: str
    segment: str
    arr: float
    owner_name: str  # the CSM
    contact_name: str | None
    score: int
    band: str
    explanation: str  # from scoring: why the score is what it is
    trigger: str  # trigger key, e.g. "health_low"
    reasons: tuple[str, ...]  # routing reason sentences
    crisis: bool  # a crisis context is active: no upbeat or celebratory tone
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BriefRequest:
    """An account brief for a manager or CSM, in Slack mrkdwn."""

    account_name: str
    account_id: str
    segment: str
    arr: float
    owner_name: str
    renewal_date: date | None
    score: int
    band: str
    confidence: float  # 0-1
    explanation: str
    factors: tuple[FactorScore, ...]
    notes: tuple[str, ...]  # data-quality remarks
    recent_tickets: tuple[Ticket, ...]
    context: tuple[ContextEvent, ...]
    open_signals: tuple[str, ...]
    as_of: date | None = None  # the day the brief speaks of (days to renewal, active context); today if None
    score_trend: tuple[tuple[date, int], ...] = ()  # earlier scores, oldest first


@dataclass(frozen=True)
class DraftResult:
    subject: str
    body: str
    author: str  # "template" or "llm:<model>"
    prompt_version: str  # e.g. "check_in@1", "brief@1"
    facts_hash: str  # sha256 of the canonical JSON of the request + prompt version
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # Set when the LLM failed or its draft was rejected and the template was used, saying why.
    needs_review: str | None = None


class Drafter(Protocol):
    def draft(self, request: DraftRequest) -> DraftResult: ...

    def brief(self, request: BriefRequest) -> DraftResult: ...


def prompt_version(kind: str) -> str:
    """The version of the prompt that writes `kind` (v1: the check-in for every outreach kind)."""
    return PROMPT_VERSIONS.get(kind, PROMPT_VERSIONS[DEFAULT_KIND])


def plain(value: object) -> object:
    """A JSON-ready copy: dataclasses and mappings to dicts, tuples to lists, enums and dates to
    strings (anything else unknown to its `str`)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical_json(value: object) -> str:
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def facts_hash(request: DraftRequest | BriefRequest, version: str) -> str:
    """sha256 of the canonical JSON of the request and the prompt version."""
    canonical = canonical_json({"prompt_version": version, "request": request})
    return hashlib.sha256(canonical.encode()).hexdigest()
