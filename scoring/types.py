"""The plain data that flows through scoring and decisions.

Everything here is immutable and free of I/O, so storage can build it in bulk, scoring can
run over 100,000 accounts, and tests can build it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from scoring.conversation_facts import ConversationFacts


class Segment(StrEnum):
    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"
    SELF_SERVE = "self_serve"


class Band(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Route(StrEnum):
    AUTO = "auto"  # full automation: send, log, show in digest
    ASSIST = "assist"  # draft with Approve / Edit / Take over
    HUMAN = "human"  # the CSM handles it; no automated send
    ESCALATE = "escalate"  # now, to the CSM and their manager
    # paused: the circuit breaker, or a guardrail with nothing new to say (a cooldown, a card
    # waiting, the crisis already with a person). A crisis itself goes to a person (human).
    HOLD = "hold"


class TriggerKey(StrEnum):
    # On a tie of routes the first key here leads the account's card (scoring.decisions): a
    # customer waiting for an answer in their channel is the most concrete thing to act on.
    CUSTOMER_WAITING = "customer_waiting"
    HEALTH_LOW = "health_low"
    HEALTH_DROP = "health_drop"
    EXPANSION_READY = "expansion_ready"
    RENEWAL_RISK = "renewal_risk"
    RENEWAL_REMINDER = "renewal_reminder"
    ONBOARDING_STALLED = "onboarding_stalled"
    SENTIMENT = "sentiment"
    COMPLEXITY = "complexity"
    MANUAL_FLAG = "manual_flag"


class AutomationMode(StrEnum):
    AUTO = "auto"
    ASSIST = "assist"
    HUMAN = "human"


class Severity(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class BillingKind(StrEnum):
    INVOICE_PAID = "invoice_paid"
    INVOICE_OVERDUE = "invoice_overdue"
    PAYMENT_FAILED = "payment_failed"
    DOWNGRADE = "downgrade"
    UPGRADE = "upgrade"
    REFUND = "refund"


class EngagementKind(StrEnum):
    EMAIL_REPLIED = "email_replied"
    MEETING = "meeting"
    NPS = "nps"
    SURVEY = "survey"
    OUTREACH_SENT = "outreach_sent"
    OUTREACH_REPLIED = "outreach_replied"
    PUBLIC_COMPLAINT = "public_complaint"


class ContextKind(StrEnum):
    MIGRATION = "migration"
    DATA_GAP = "data_gap"
    LAYOFFS = "layoffs"
    MERGER = "merger"
    SECURITY_INCIDENT = "security_incident"
    CHAMPION_CHANGE = "champion_change"
    PUBLIC_COMPLAINT = "public_complaint"
    CUSTOM_CONTRACT = "custom_contract"
    MULTI_STAKEHOLDER_IMPLEMENTATION = "multi_stakeholder_implementation"
    TECHNICAL_ESCALATION = "technical_escalation"
    COMPLIANCE_REVIEW = "compliance_review"
    EXECUTIVE_BUSINESS_REVIEW = "executive_business_review"


# Context that explains a drop in the data rather than in the relationship.
DATA_QUALITY_CONTEXT = frozenset({ContextKind.MIGRATION, ContextKind.DATA_GAP})
# Context in which automated outreach pauses and celebratory tone is blocked.
CRISIS_CONTEXT = frozenset(
    {
        ContextKind.SECURITY_INCIDENT,
        ContextKind.LAYOFFS,
        ContextKind.MERGER,
        ContextKind.CHAMPION_CHANGE,
    }
)
# The seeds' five complexity indicators.
COMPLEXITY_CONTEXT = frozenset(
    {
        ContextKind.CUSTOM_CONTRACT,
        ContextKind.MULTI_STAKEHOLDER_IMPLEMENTATION,
        ContextKind.TECHNICAL_ESCALATION,
        ContextKind.COMPLIANCE_REVIEW,
        ContextKind.EXECUTIVE_BUSINESS_REVIEW,
    }
)


@dataclass(frozen=True, slots=True)
class UsageDay:
    day: date
    active_users: int
    licensed_seats: int
    events: int = 0


@dataclass(frozen=True, slots=True)
class FeatureUse:
    """Uses of one product feature on one day (adoption breadth)."""

    day: date
    feature: str
    count: int


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: str
    opened_at: datetime
    severity: Severity
    subject: str
    body: str
    closed_at: datetime | None = None
    is_escalation_request: bool = False
    sentiment: float | None = None  # VADER compound tone, -1..1; None: not scored (left out of tone)


@dataclass(frozen=True, slots=True)
class BillingEvent:
    day: date
    kind: BillingKind
    amount: float


@dataclass(frozen=True, slots=True)
class EngagementEvent:
    at: datetime
    kind: EngagementKind
    value: float | None = None


@dataclass(frozen=True, slots=True)
class ContextEvent:
    kind: ContextKind
    starts_at: datetime
    ends_at: datetime | None = None
    note: str = ""

    def active_on(self, moment: datetime) -> bool:
        return self.starts_at <= moment and (self.ends_at is None or moment <= self.ends_at)


@dataclass(frozen=True, slots=True)
class Milestone:
    step: str
    due_date: date
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountException:
    """An owner's "quiet until it gets worse" on one trigger of one account, in force since
    `set_on` (scoring.exceptions decides when it quiets a decision and when it lapses)."""

    exception_id: int
    trigger: TriggerKey
    set_by: str  # Slack id
    set_on: date
    expires_on: date  # the first day the trigger is no longer quiet
    baseline_score: int  # the account's score when it was set


@dataclass(frozen=True, slots=True)
class AutomationHistory:
    """What Tandem already did on an account before the scoring day (for the guardrails)."""

    # The latest day each trigger acted (a card or an automated touch; not a hold).
    last_acted: tuple[tuple[TriggerKey, date], ...] = ()
    # Automated touches (queued, sending or sent), when each was sent (or queued), oldest first.
    auto_touches: tuple[datetime, ...] = ()
    # A card posted on an earlier day that nobody has decided yet: (trigger, posted day).
    waiting_card: tuple[TriggerKey, date] | None = None
    # The crises a card already went to a person about, in any state: (crisis key, its day).
    crisis_cards: tuple[tuple[str, date], ...] = ()
    # The account's exceptions in force ("quiet until it gets worse"), one per trigger at most.
    exceptions: tuple[AccountException, ...] = ()

    def last_acted_on(self, trigger: TriggerKey) -> date | None:
        return next((day for key, day in self.last_acted if key is trigger), None)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """Everything scoring and decisions may know about one account on one day."""

    account_id: str
    name: str
    segment: Segment
    arr: float
    owner_slack_id: str
    renewal_date: date | None
    automation_mode: AutomationMode | None = None
    always_human: bool = False  # the CSM's veto; sticks until lifted
    human_handled: bool = False  # a CSM took over; automation paused
    usage: tuple[UsageDay, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    billing: tuple[BillingEvent, ...] = ()
    engagement: tuple[EngagementEvent, ...] = ()
    context: tuple[ContextEvent, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    features: tuple[FeatureUse, ...] = ()
    # Earlier scores by day, for drop and trend rules (oldest first).
    score_history: tuple[tuple[date, int], ...] = ()
    history: AutomationHistory = AutomationHistory()
    account_executive: str | None = None  # Slack id of the account's AE, for sales hand-offs
    industry: str | None = None  # lowercase ("healthcare"), for learned routing rules
    # Automation paused for N days (asked in words, behind Confirm): a person handles every
    # touchpoint through the day the pause ends; then automation resumes by itself.
    automation_paused: bool = False
    # What the account's linked Slack Connect channels said (None: no linked channel).
    conversation: ConversationFacts | None = None


@dataclass(frozen=True, slots=True)
class BookFacts:
    """Book-wide figures some rules need (the 2%-of-ARR rule, ARR percentiles)."""

    total_arr: float
    account_count: int
    # ARR at each percentile 0..100 of the book (101 values), for "top decile" value rules.
    arr_percentiles: tuple[float, ...] = ()

    def arr_at_percentile(self, fraction: float) -> float:
        if not self.arr_percentiles:
            return float("inf")
        index = min(100, max(0, round(fraction * 100)))
        return self.arr_percentiles[index]


@dataclass(frozen=True, slots=True)
class FactorScore:
    name: str  # usage, support, billing, engagement, onboarding
    score: float  # 0-100
    weight: float  # effective weight after redistribution (sums to 1 across used factors)
    detail: str  # the figure behind it, in words: "12 of 40 seats active (30%)"
    data_points: int = 0


@dataclass(frozen=True, slots=True)
class HealthResult:
    account_id: str
    as_of: date
    score: int
    band: Band
    confidence: float  # 0-1
    factors: tuple[FactorScore, ...]
    explanation: str  # names the factor pulling the score down most, with its figure
    notes: tuple[str, ...] = ()  # data-quality remarks ("usage drop during a migration")
    trend: tuple[tuple[int, int], ...] = ()  # (days, change in points) for 7 / 30 / 90 days
    expansion_readiness: int | None = None  # 0-100; None without usage data
    renewal_risk: float | None = None  # churn probability at the next renewal, when it is in view
    # The score signal by signal: (signal, points taken off 100), the costliest first, only
    # signals that cost or add at least 0.05 points; they sum to 100 - the unrounded score.
    points: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # stable, machine-readable: "arr_share_above_limit", "crisis_context", ...
    sentence: str  # for people: "Human review: Acme is 3.1% of total ARR"


@dataclass(frozen=True, slots=True)
class Signal:
    """A fired trigger, before routing."""

    account_id: str
    trigger: TriggerKey
    summary: str  # "Health 48 (red): usage is the weakest factor, 9 of 40 seats active"
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one signal: the route and why."""

    signal: Signal
    route: Route
    reasons: tuple[Reason, ...]
    notify_manager: bool = False
    celebratory_tone_blocked: bool = False
    # Held by a guardrail because nothing is new (cooldown, a card already waiting): recorded,
    # never leads the account's card over a decision that is new.
    suppressed: bool = False

    @property
    def account_id(self) -> str:
        return self.signal.account_id

    @property
    def trigger(self) -> TriggerKey:
        return self.signal.trigger

    @property
    def reason_sentence(self) -> str:
        return " ".join(reason.sentence for reason in self.reasons)
