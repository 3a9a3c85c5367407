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
from typing import TYPE_CHECKING, Protocol

from scoring.types import (
    BillingEvent,
    ContextEvent,
    EngagementEvent,
    FactorScore,
    FeatureUse,
    Milestone,
    Ticket,
    UsageDay,
)

if TYPE_CHECKING:
    from prompts.brief_document import BriefDocument

TEMPLATE_AUTHOR = "template"
# The outreach kinds (customer emails, and the internal expansion hand-off note).
CHECK_IN = "check_in"  # risk check-in (health low or dropping, sentiment, renewal at risk)
RENEWAL_REMINDER = "renewal_reminder"
ONBOARDING_NUDGE = "onboarding_nudge"
EXPANSION_NOTE = "expansion_note"  # to the account executive / sales, not to the customer
OUTREACH_KINDS = (CHECK_IN, RENEWAL_REMINDER, ONBOARDING_NUDGE, EXPANSION_NOTE)
BRIEF = "brief"
QBR = "qbr"
# The version of each kind's prompt and template; bump it when the wording changes, so a draft
# stored with one version can be told apart from one written by the next (and the cache misses).
PROMPT_VERSIONS: Mapping[str, str] = {
    CHECK_IN: "check_in@2",
    RENEWAL_REMINDER: "renewal_reminder@1",
    ONBOARDING_NUDGE: "onboarding_nudge@1",
    EXPANSION_NOTE: "expansion_note@1",
    BRIEF: "brief@2",
    QBR: "qbr@1",
}
DEFAULT_KIND = CHECK_IN


@dataclass(frozen=True)
class DraftRequest:
    """One outreach draft: an email from the CSM to the customer's contact, or (expansion_note)
    an internal hand-off note to sales.

    `facts` holds factor details ("usage", "support", ... in words). `details` holds the fired
    signal's figures (renewal_date, days_to_renewal, overdue_step, expansion_readiness,
    sales_contact, evidence lines, ...). `tickets` (and any `Ticket` among the facts) are
    customer-written text: the LLM sees them only as quoted data, never as facts it may cite.
    """

    kind: str
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
    details: Mapping[str, object] = field(default_factory=dict)
    tickets: tuple[Ticket, ...] = ()


@dataclass(frozen=True)
class BriefRequest:
    """An account brief for a manager or CSM (`/brief`)."""

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
class QBRRequest:
    """Everything Tandem knows for a quarterly business review brief (`/qbr`), over 90 days."""

    account_name: str
    account_id: str
    segment: str
    arr: float
    owner_name: str
    as_of: date
    renewal_date: date | None
    contract_start: date | None
    score: int
    band: str
    confidence: float
    explanation: str
    factors: tuple[FactorScore, ...]
    notes: tuple[str, ...]
    trend: tuple[tuple[int, int], ...]  # (days, change in points)
    expansion_readiness: int | None
    renewal_risk: float | None
    health_series: tuple[tuple[date, int], ...]  # daily snapshots in the window, oldest first
    usage: tuple[UsageDay, ...]  # daily usage in the window
    features: tuple[FeatureUse, ...]
    tickets: tuple[Ticket, ...]
    engagement: tuple[EngagementEvent, ...]
    billing: tuple[BillingEvent, ...]
    milestones: tuple[Milestone, ...]
    context: tuple[ContextEvent, ...]
    open_signals: tuple[str, ...]
    window_days: int = 90


@dataclass(frozen=True)
class DraftResult:
    subject: str
    body: str
    author: str  # "template" or "llm:<model>"
    prompt_version: str  # e.g. "check_in@2", "qbr@1"
    facts_hash: str  # sha256 of the canonical JSON of the request + prompt version
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # Set when the LLM failed or its draft was rejected and the template was used, saying why.
    needs_review: str | None = None
    cost_usd: float | None = None  # estimated price of the LLM calls behind this draft
    document: BriefDocument | None = None  # briefs: sections, claims and their cited sources
    reused_draft_id: int | None = None  # set when the drafting cache supplied this result
    attempts: int = 0  # LLM calls made for it (0: template or cache)

    @property
    def is_template(self) -> bool:
        return self.author.startswith(TEMPLATE_AUTHOR)


class Drafter(Protocol):
    @property
    def author(self) -> str: ...

    @property
    def max_concurrency(self) -> int: ...

    def draft(self, request: DraftRequest) -> DraftResult: ...

    def brief(self, request: BriefRequest) -> DraftResult: ...

    def qbr(self, request: QBRRequest) -> DraftResult: ...


def prompt_version(kind: str) -> str:
    """The version of the prompt that writes `kind` (an unknown kind is written as a check-in)."""
    return PROMPT_VERSIONS.get(kind, PROMPT_VERSIONS[DEFAULT_KIND])


def outreach_kind(kind: str) -> str:
    return kind if kind in OUTREACH_KINDS else DEFAULT_KIND


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})  # exact types: an Enum on str is not one
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once per class


def plain(value: object) -> object:
    """A JSON-ready copy: dataclasses and mappings to dicts, tuples to lists, enums and dates to
    strings (anything else unknown to its `str`). Every draft's facts hash goes through it: the
    common cases are found by exact type first (the result is the same, only faster)."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
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


def facts_hash(request: DraftRequest | BriefRequest | QBRRequest, version: str) -> str:
    """sha256 of the canonical JSON of the request and the prompt version."""
    canonical = canonical_json({"prompt_version": version, "request": request})
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_kind(request: DraftRequest | BriefRequest | QBRRequest) -> str:
    if isinstance(request, QBRRequest):
        return QBR
    if isinstance(request, BriefRequest):
        return BRIEF
    return request.kind


def cache_key(request: DraftRequest | BriefRequest | QBRRequest) -> tuple[str, str, str]:
    """(facts_hash, prompt_version, kind): what the drafting cache looks a stored draft up by."""
    kind = request_kind(request)
    version = prompt_version(kind)
    return facts_hash(request, version), version, kind
