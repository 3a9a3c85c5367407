"""The trigger configuration: every weight, threshold and window, versioned as data.

The default lives in `default_config.toml` (shipped as package data); the database stores each
version's body as JSON (`config_to_dict`) and `TriggerConfig.model_validate(body)` reads it
back. Unknown keys are refused, so a typo in an ops edit fails loudly instead of being ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.types import ContextKind, Route, Segment, TriggerKey
from scoring.working_time import WorkingHours

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")
FACTORS = ("usage", "support", "billing", "engagement", "onboarding")
SEGMENT_NAMES = frozenset(segment.value for segment in Segment)
# Keys earlier versions wrote and this one no longer reads; dropped on load so a stored older
# configuration still validates (anything else unknown is refused).
RETIRED_KEYS = {"confidence": ("missing_factor_penalty",)}


SegmentTable = TypeVar("SegmentTable")


def known_segments(value: dict[str, SegmentTable], where: str) -> dict[str, SegmentTable]:
    """`value` as given; a ValueError naming `where` when a key is not a segment."""
    unknown = sorted(set(value) - SEGMENT_NAMES)
    if unknown:
        raise ValueError(f"{where}: unknown segment(s) {', '.join(unknown)}")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bands(_Section):
    green: int = Field(default=75, ge=0, le=100)
    yellow: int = Field(default=60, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.yellow > self.green:
            raise ValueError(f"bands: yellow ({self.yellow}) must not be above green ({self.green})")
        return self


class FactorWeights(_Section):
    usage: float = Field(default=0.40, ge=0)
    support: float = Field(default=0.20, ge=0)
    billing: float = Field(default=0.15, ge=0)
    engagement: float = Field(default=0.15, ge=0)
    onboarding: float = Field(default=0.10, ge=0)

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in FACTORS}


class UsageRules(_Section):
    window_days: int = Field(default=30, ge=1)  # utilisation window; the baseline is the window before it
    trend_days: int = Field(default=7, ge=1)  # the latest days, also compared with the baseline
    healthy_utilisation: float = Field(default=0.70, gt=0, le=1)
    drop_penalty_per_percent: float = Field(default=0.5, ge=0)
    min_days: int = Field(default=7, ge=1)
    # Adoption breadth: distinct features used in the window, against a healthy number.
    breadth_weight: float = Field(default=0.25, ge=0, le=1)  # share of the factor; the rest is utilisation
    healthy_breadth: int = Field(default=4, ge=1)


class TicketPoints(_Section):
    low: float = 3.0
    normal: float = 6.0
    high: float = 12.0
    urgent: float = 20.0


class SupportRules(_Section):
    window_days: int = Field(default=30, ge=1)
    ticket_points: TicketPoints = TicketPoints()
    escalation_request_points: float = 15
    open_ticket_points: float = 2
    # Volume against the segment's norm: points per ticket beyond the norm in the window.
    norm_tickets: dict[Segment, float] = Field(
        default_factory=lambda: {
            Segment.ENTERPRISE: 6.0,
            Segment.MID_MARKET: 3.0,
            Segment.SMB: 2.0,
            Segment.SELF_SERVE: 1.0,
        }
    )
    excess_ticket_points: float = Field(default=4, ge=0)
    # Tone (VADER, -1..1): points at a mean tone of -1 in the window, and per 1.0 the mean
    # fell against the window before.
    tone_points: float = Field(default=30, ge=0)
    tone_worsening_points: float = Field(default=20, ge=0)
    # Without a single ticket on record, "no tickets" is no evidence (the help desk may simply
    # not be connected): the factor is left out rather than scored 100.
    require_history: bool = True


class BillingRules(_Section):
    window_days: int = Field(default=90, ge=1)
    overdue_points: float = 25
    failed_payment_points: float = 20
    downgrade_points: float = 20


class EngagementRules(_Section):
    window_days: int = Field(default=90, ge=1)
    neutral: float = Field(default=70, ge=0, le=100)
    excellent_reply_rate: float = Field(default=0.5, gt=0, le=1)
    meeting_points: float = 5
    max_meeting_points: float = 15
    public_complaint_points: float = 30
    min_outreach_for_rate: int = Field(default=3, ge=1)
    survey_scale: float = Field(default=5, gt=0)  # a survey score of this much is 100


class OnboardingRules(_Section):
    overdue_points: float = 25
    late_done_points: float = 8
    relevant_days: int = Field(default=90, ge=0)  # counted until this long after the last step was done


class ConfidenceRules(_Section):
    data_quality_penalty: float = Field(default=0.35, ge=0, le=1)  # a migration or data gap in view
    data_quality_lookback_days: int = Field(default=30, ge=0)
    min_confidence: float = Field(default=0.1, ge=0, le=1)
    # No usage row for this many days (while earlier rows exist): missing data, not churn.
    ingestion_gap_days: int = Field(default=3, ge=1)


class ExpansionWeights(_Section):
    utilisation: float = Field(default=0.40, ge=0)
    growth: float = Field(default=0.20, ge=0)
    breadth: float = Field(default=0.15, ge=0)
    health: float = Field(default=0.25, ge=0)


class ExpansionRules(_Section):
    """Expansion readiness 0-100: seats nearly full, a growing team, broad adoption, good health."""

    utilisation_floor: float = Field(default=0.60, ge=0, le=1)  # seat use of the latest days scoring 0 ...
    utilisation_full: float = Field(default=0.95, gt=0)  # ... and 100
    growth_full: float = Field(default=0.25, gt=0)  # active users up this share on the window before: 100
    weights: ExpansionWeights = ExpansionWeights()


class SignalShape(_Section):
    """One signal's points curve: straight lines between knots, flat beyond the ends.

    `points` at each knot are what the signal takes off 100; `missing_points` when the account
    has no such figure. Fitted by `calibrate` (scoring.signal_fit); never below 0.
    """

    signal: str  # a key of scoring.signals ("ticket_volume", "feature_use:Reports")
    knots: list[float] = Field(min_length=1)
    points: list[float] = Field(min_length=1)
    missing_points: float = Field(default=0.0, ge=0)
    finding: str = ""  # what calibration learned, in words, for explanations and the report

    @model_validator(mode="after")
    def _same_length(self) -> SignalShape:
        if len(self.knots) != len(self.points):
            raise ValueError(f"{self.signal}: knots and points differ in length")
        if any(b < a for a, b in zip(self.knots, self.knots[1:], strict=False)):
            raise ValueError(f"{self.signal}: knots must be in increasing order")
        if any(p < 0 for p in self.points):
            raise ValueError(f"{self.signal}: points must be 0 or more")
        return self


class SignalModel(_Section):
    """A calibrated signal-level score: 100 minus each signal's points. Empty `shapes`: the
    hand-set factor scoring applies. `intercept` and `per_point` turn the points lost into a
    churn probability within `horizon_days` (logit = intercept + per_point x points lost)."""

    shapes: list[SignalShape] = Field(default_factory=list)
    intercept: float = 0.0
    per_point: float = Field(default=0.0, ge=0)
    horizon_days: int = Field(default=90, ge=1)
    fitted_on: str = ""  # "12,000 (account, month) pairs and 800 renewals up to 2026-06-30"


class RenewalRiskModel(_Section):
    """Churn probability at the next renewal: logistic in each factor's shortfall (100 - score) / 100.

    A missing factor counts the account's overall shortfall. `calibrate` fits these numbers on
    renewal outcomes; the defaults are a reasonable prior until it has.
    """

    horizon_days: int = Field(default=90, ge=1)  # scored for accounts renewing within this many days
    intercept: float = -3.2
    coefficients: FactorWeights = FactorWeights(
        usage=3.0, support=1.5, billing=1.5, engagement=1.5, onboarding=0.5
    )


class HealthLowTrigger(_Section):
    threshold: int = Field(default=60, ge=0, le=100)


class HealthDropTrigger(_Section):
    drop_fraction: float = Field(default=0.20, gt=0, le=1)
    window_days: int = Field(default=30, ge=1)
    history_tolerance_days: int = Field(default=3, ge=0)


class SentimentTrigger(_Section):
    window_days: int = Field(default=30, ge=1)
    escalation_requests: int = Field(default=2, ge=1)
    min_reply_rate: float = Field(default=0.20, ge=0, le=1)
    min_outreach: int = Field(default=5, ge=1)
    reply_window_days: int = Field(default=90, ge=1)
    frustrated_tickets: int = Field(default=2, ge=1)  # in the window, and more than in the window before
    frustration_phrases: tuple[str, ...] = ()

    @field_validator("frustration_phrases")
    @classmethod
    def _lowercase(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(phrase.strip().lower() for phrase in value if phrase.strip())


class ExpansionReadyTrigger(_Section):
    threshold: int = Field(default=80, ge=0, le=100)  # expansion readiness above this: sales hand-off
    min_health: int = Field(default=60, ge=0, le=100)  # an unhealthy account is not an upsell


class RenewalRiskTrigger(_Section):
    """Renewals between `nearest_days` and `furthest_days` away are scored for churn risk."""

    nearest_days: int = Field(default=30, ge=0)
    furthest_days: int = Field(default=60, ge=0)
    high_risk: float = Field(default=0.30, gt=0, le=1)  # churn probability from which a CSM reaches out

    @model_validator(mode="after")
    def _ordered(self) -> RenewalRiskTrigger:
        if self.nearest_days > self.furthest_days:
            raise ValueError("triggers.renewal_risk: nearest_days must not be above furthest_days")
        return self


class RenewalReminderTrigger(_Section):
    """Low-risk renewals get an automated reminder, from `start_days` before the renewal on."""

    start_days: int = Field(default=90, ge=1)
    stop_days: int = Field(default=7, ge=0)  # this close to the renewal the CSM handles it
    low_risk: float = Field(default=0.15, gt=0, le=1)  # churn probability below this

    @model_validator(mode="after")
    def _ordered(self) -> RenewalReminderTrigger:
        if self.stop_days >= self.start_days:
            raise ValueError("triggers.renewal_reminder: stop_days must be below start_days")
        return self


class OnboardingStalledTrigger(_Section):
    grace_days: int = Field(default=3, ge=0)  # a step this many days past due and not done


class SegmentLines(_Section):
    """One segment's own lines for the threshold triggers; a line left out is the trigger's own.

    Written by accepted threshold proposals (`tune propose`), in each trigger's units: health_low
    fires below `health_low`, health_drop at a fall of `health_drop` or more, expansion_ready
    above `expansion_ready`, renewal_risk at a churn probability of `renewal_risk` or more."""

    health_low: int | None = Field(default=None, ge=0, le=100)
    health_drop: float | None = Field(default=None, gt=0, le=1)
    expansion_ready: int | None = Field(default=None, ge=0, le=100)
    renewal_risk: float | None = Field(default=None, gt=0, le=1)


THRESHOLD_TRIGGERS = (
    TriggerKey.HEALTH_LOW,
    TriggerKey.HEALTH_DROP,
    TriggerKey.EXPANSION_READY,
    TriggerKey.RENEWAL_RISK,
)
# Which way each threshold trigger fires: below its line (-1) or at/above it (+1). Tightening a
# line moves it against that direction, so fewer accounts cross it.
FIRES_ABOVE = {
    TriggerKey.HEALTH_LOW: False,
    TriggerKey.HEALTH_DROP: True,
    TriggerKey.EXPANSION_READY: True,
    TriggerKey.RENEWAL_RISK: True,
}


class Triggers(_Section):
    health_low: HealthLowTrigger = HealthLowTrigger()
    health_drop: HealthDropTrigger = HealthDropTrigger()
    expansion_ready: ExpansionReadyTrigger = ExpansionReadyTrigger()
    renewal_risk: RenewalRiskTrigger = RenewalRiskTrigger()
    renewal_reminder: RenewalReminderTrigger = RenewalReminderTrigger()
    onboarding_stalled: OnboardingStalledTrigger = OnboardingStalledTrigger()
    sentiment: SentimentTrigger = SentimentTrigger()
    segment_lines: dict[str, SegmentLines] = Field(default_factory=dict)

    @field_validator("segment_lines")
    @classmethod
    def _known_line_segments(cls, value: dict[str, SegmentLines]) -> dict[str, SegmentLines]:
        return known_segments(value, "triggers.segment_lines")

    def default_line(self, trigger: TriggerKey) -> float:
        """A threshold trigger's own line, before any segment's."""
        return {
            TriggerKey.HEALTH_LOW: self.health_low.threshold,
            TriggerKey.HEALTH_DROP: self.health_drop.drop_fraction,
            TriggerKey.EXPANSION_READY: self.expansion_ready.threshold,
            TriggerKey.RENEWAL_RISK: self.renewal_risk.high_risk,
        }[trigger]

    def line(self, trigger: TriggerKey, segment: str | None) -> float:
        """The line `trigger` fires at for an account of `segment` (its own line if the segment
        has none). Only the threshold triggers (THRESHOLD_TRIGGERS) have lines."""
        own = self.segment_lines.get(str(segment)) if segment is not None else None
        value = getattr(own, trigger.value, None) if own is not None else None
        return self.default_line(trigger) if value is None else value


DEFAULT_COOLDOWN_DAYS: dict[TriggerKey, int] = {
    TriggerKey.HEALTH_LOW: 14,
    TriggerKey.HEALTH_DROP: 14,
    TriggerKey.EXPANSION_READY: 30,
    TriggerKey.RENEWAL_RISK: 14,
    TriggerKey.RENEWAL_REMINDER: 30,
    TriggerKey.ONBOARDING_STALLED: 14,
    TriggerKey.SENTIMENT: 7,
    TriggerKey.COMPLEXITY: 14,
    TriggerKey.MANUAL_FLAG: 0,
    TriggerKey.CUSTOMER_WAITING: 1,
}


class CardBudget(_Section):
    per_csm_per_day: int = Field(
        default=10, ge=1
    )  # new cards in a CSM's DM per day; the rest go in the digest
    exempt_routes: tuple[Route, ...] = (Route.ESCALATE,)  # always posted at once
    exempt_triggers: tuple[TriggerKey, ...] = (TriggerKey.CUSTOMER_WAITING,)  # the owner hears at once


class CircuitBreaker(_Section):
    """One trigger firing on an implausible share of the book in one run: a data problem."""

    max_share: float = Field(default=0.30, gt=0, le=1)  # of the accounts scored in the run
    min_accounts: int = Field(default=20, ge=1)  # a small book can't trip it by chance
    exempt: tuple[TriggerKey, ...] = (TriggerKey.MANUAL_FLAG,)


class AccountExceptions(_Section):
    """Quiet until it gets worse: one trigger kept quiet on one account, offered to its owner
    after repeated known-context dismissals (Sentry's "archive until escalating")."""

    offer_after_dismissals: int = Field(default=2, ge=1)  # known-context dismissals by the owner ...
    offer_window_days: int = Field(default=42, ge=1)  # ... within this many days, no approval between
    quiet_days: int = Field(default=90, ge=1)  # how long an exception keeps its trigger quiet
    lapse_points: int = Field(default=8, ge=1)  # the score this much below the one it was set at: it lapses


class Attention(_Section):
    """Nothing waits unseen: the escalation ladder, snoozes and hand-backs (bot.workflows.ladder,
    bot.workflows.snooze, bot.workflows.hand_off). Working hours are the card owner's."""

    escalate_manager_working_hours: float = Field(default=4, gt=0)  # an escalate card: to the manager
    escalate_channel_hours: float = Field(default=24, gt=0)  # ... then the escalation channel
    human_manager_working_days: int = Field(
        default=2, ge=1
    )  # human / assist: a digest reminder, then the manager
    snooze_wake_points: int = Field(default=8, ge=1)  # a snoozed card wakes when the score falls this much
    hand_back_days: int = Field(default=14, ge=1)  # a taken-over account goes back to Tandem after this ...
    hand_back_reminder_days: int = Field(default=2, ge=0)  # ... with a reminder this many days before

    @model_validator(mode="after")
    def _reminder_before_hand_back(self) -> Attention:
        if self.hand_back_reminder_days >= self.hand_back_days:
            raise ValueError("attention: hand_back_reminder_days must be below hand_back_days")
        return self


class Conversations(_Section):
    """What Tandem hears in linked Slack Connect channels (scoring.conversation_text,
    scoring.conversation_signals). Topics are matched as phrases in a customer's message."""

    topics: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {
            "competitor": ("another vendor", "other vendors", "evaluating", "alternative", "switch to"),
            "cancel": ("cancel", "terminate", "not renew", "won't renew", "churn"),
            "price": ("price", "pricing", "too expensive", "discount", "cost"),
            "contract": ("contract", "renewal", "invoice", "legal"),
            "outage": ("outage", "is down", "not loading", "unavailable", "502", "503"),
            "bug": ("bug", "broken", "error", "crash", "doesn't work", "does not work"),
        }
    )
    competitor_names: tuple[str, ...] = ()  # named rivals; a mention counts as the competitor topic
    alarm_topics: tuple[str, ...] = (
        "competitor",
        "cancel",
    )  # a customer's mention fires the sentiment trigger
    unanswered_working_hours: float = Field(default=4, gt=0)  # a customer question waits this long -> a card
    champion_silence_days: int = Field(default=30, ge=1)  # no message from the champion this long
    window_days: int = Field(default=30, ge=1)  # the tone and topic window (and the one before, for trends)
    hostile_tone: float = Field(default=-0.5, le=0)  # a message this hostile or worse counts as hostile
    rising_hostile_messages: int = Field(default=2, ge=1)  # this many hostile, more than the window before
    # The customer's working time, in the account's time zone: a question waits in these hours only.
    working_hours: str = "09:00-17:00"
    working_days: str = "mon-fri"

    @model_validator(mode="after")
    def _working_time_parses(self) -> Conversations:
        try:
            WorkingHours.parse(self.working_hours, self.working_days)
        except ValueError as error:
            raise ValueError(f"conversations: {error}") from error
        return self


class Guardrails(_Section):
    # A trigger that acted on an account (a card or a touch) stays quiet this many days.
    cooldown_days: dict[TriggerKey, int] = Field(default_factory=lambda: dict(DEFAULT_COOLDOWN_DAYS))
    auto_touch_cap: int = Field(default=2, ge=0)  # automated touches per account ...
    auto_touch_window_days: int = Field(default=30, ge=1)  # ... in this many days; beyond, a person
    # An automated touch queued or sent this recently and not answered: the next goes to a person.
    cascade_window_days: int = Field(default=30, ge=1)
    card_budget: CardBudget = CardBudget()
    circuit_breaker: CircuitBreaker = CircuitBreaker()
    account_exceptions: AccountExceptions = AccountExceptions()

    @field_validator("cooldown_days")
    @classmethod
    def _every_trigger(cls, value: dict[TriggerKey, int]) -> dict[TriggerKey, int]:
        if any(days < 0 for days in value.values()):
            raise ValueError("guardrails.cooldown_days: days must be >= 0")
        return {**DEFAULT_COOLDOWN_DAYS, **value}

    def cooldown_for(self, trigger: TriggerKey) -> int:
        return self.cooldown_days.get(trigger, 0)


class RoutingRule(_Section):
    """A learned route for a cell: accounts of `segment` in `industry` while a `context` event is
    in view (and, optionally, only for `trigger`). A matcher left out matches anything.

    `human`: a hard rule, below the veto, take-over, complexity and crisis rules, above the
    matrix. `auto`: the matrix's `assist` becomes `auto` (with the hold window) when no hard
    rule, frustration, 2%-of-ARR or other lift applies. Written by accepted route proposals."""

    segment: Segment | None = None
    industry: str | None = None  # lowercase, as accounts hold it ("healthcare")
    context: ContextKind | None = None  # a context event kind in view on the day
    trigger: TriggerKey | None = None
    route: Literal["human", "auto"]
    note: str = ""

    @field_validator("industry")
    @classmethod
    def _lowercase_industry(cls, value: str | None) -> str | None:
        return value.strip().lower() or None if value is not None else None


class Routing(_Section):
    arr_share_human_review: float = Field(default=0.02, ge=0, le=1)
    high_value_segments: tuple[Segment, ...] = (Segment.ENTERPRISE, Segment.MID_MARKET)
    high_value_arr_percentile: float = Field(default=0.90, ge=0, le=1)
    # The matrix's complexity axis (the five indicators are hard rules above the matrix).
    complex_triggers: tuple[TriggerKey, ...] = (TriggerKey.RENEWAL_RISK, TriggerKey.EXPANSION_READY)
    complex_open_severe_tickets: int = Field(default=2, ge=1)  # open high/urgent tickets
    crisis_lookback_days: int = Field(default=30, ge=0)
    # Triggers a person hands to sales (expansion): always a card, never an automated email.
    handoff_triggers: tuple[TriggerKey, ...] = (TriggerKey.EXPANSION_READY,)
    # Learned routes for cells (segment × industry × context), from accepted route proposals.
    rules: tuple[RoutingRule, ...] = ()


class AuditBands(_Section):
    """How far short of each threshold trigger's line a near miss may be; 0 leaves it unaudited.

    In the trigger's own units: health points at or above health_low's line, the share of a
    fall short of health_drop's, readiness points at or below expansion_ready's, churn
    probability below renewal_risk's high_risk."""

    health_low: int = Field(default=5, ge=0, le=100)
    health_drop: float = Field(default=0.05, ge=0, le=1)
    expansion_ready: int = Field(default=5, ge=0, le=100)
    renewal_risk: float = Field(default=0.05, ge=0, le=1)


class AuditRules(_Section):
    """Audit cards below the line: each week a random share of near misses goes to a person,
    so what the triggers miss can be measured (labels otherwise exist only where they fired)."""

    rate: float = Field(default=0.05, ge=0, le=1)  # epsilon: each near miss is drawn with this chance
    weekday: int = Field(default=1, ge=1, le=7)  # ISO weekday (1 = Monday) of the cycle that draws
    bands: AuditBands = AuditBands()


class Learning(_Section):
    """How the override log is read (`tune report`, proposals): reviewer error, windows, shrinkage."""

    # What reviewers are assumed to get right until renewal outcomes say otherwise: a card worth
    # a person's time is approved (sensitivity), a noisy one dismissed as a false positive (specificity).
    reviewer_sensitivity: float = Field(default=0.90, gt=0, le=1)
    reviewer_specificity: float = Field(default=0.85, gt=0, le=1)
    reviewer_prior_labels: float = Field(default=20, ge=0)  # the defaults count as this many labels
    # A card's account churning within this many days after it: the card was worth a person's time.
    outcome_horizon_days: int = Field(default=180, ge=1)
    # Triggers whose cards churn can judge (an expansion card on a renewing account is no error).
    risk_triggers: tuple[TriggerKey, ...] = (
        TriggerKey.HEALTH_LOW,
        TriggerKey.HEALTH_DROP,
        TriggerKey.RENEWAL_RISK,
        TriggerKey.SENTIMENT,
    )
    reply_window_days: int = Field(default=14, ge=1)  # an automated touch with no reply by then: ignored
    churn_lead_days: int = Field(default=30, ge=0)  # recall: a card at least this long before churn
    max_prior_labels: float = Field(default=100, ge=1)  # shrinkage: the prior never counts for more
    interval_level: float = Field(default=0.95, gt=0, lt=1)

    @model_validator(mode="after")
    def _informative(self) -> Learning:
        if self.reviewer_sensitivity + self.reviewer_specificity <= 1:
            raise ValueError("learning: reviewer_sensitivity + reviewer_specificity must be above 1")
        return self


class TriggerConfig(_Section):
    bands: Bands = Bands()
    segment_bands: dict[str, Bands] = Field(default_factory=dict)  # per segment; else `bands`
    weights: dict[str, FactorWeights] = Field(default_factory=lambda: {"default": FactorWeights()})
    usage: UsageRules = UsageRules()
    support: SupportRules = SupportRules()
    billing: BillingRules = BillingRules()
    engagement: EngagementRules = EngagementRules()
    onboarding: OnboardingRules = OnboardingRules()
    confidence: ConfidenceRules = ConfidenceRules()
    expansion: ExpansionRules = ExpansionRules()
    renewal_risk: RenewalRiskModel = RenewalRiskModel()
    triggers: Triggers = Triggers()
    routing: Routing = Routing()
    guardrails: Guardrails = Guardrails()
    attention: Attention = Attention()
    conversations: Conversations = Conversations()
    audit: AuditRules = AuditRules()

    learning: Learning = Learning()
    signal_model: SignalModel = SignalModel()

    @model_validator(mode="before")
    @classmethod
    def _drop_retired_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section, keys in RETIRED_KEYS.items():
            if isinstance(data.get(section), dict):
                data[section] = {k: v for k, v in data[section].items() if k not in keys}
        return data

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, FactorWeights]) -> dict[str, FactorWeights]:
        if "default" not in value:
            raise ValueError("weights must have a [weights.default] table")
        unknown = sorted(set(value) - SEGMENT_NAMES - {"default"})
        if unknown:
            raise ValueError(f"weights: unknown segment(s) {', '.join(unknown)}")
        for name, weights in value.items():
            if sum(weights.as_dict().values()) <= 0:
                raise ValueError(f"weights.{name}: at least one weight must be above zero")
        return value

    @field_validator("segment_bands")
    @classmethod
    def _known_band_segments(cls, value: dict[str, Bands]) -> dict[str, Bands]:
        return known_segments(value, "segment_bands")

    def bands_for(self, segment: str) -> Bands:
        return self.segment_bands.get(segment) or self.bands

    def weights_for(self, segment: str) -> dict[str, float]:
        return (self.weights.get(segment) or self.weights["default"]).as_dict()


def load_default_config() -> TriggerConfig:
    return config_from_toml(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def config_from_toml(text: str) -> TriggerConfig:
    return TriggerConfig.model_validate(tomllib.loads(text))


def config_to_dict(config: TriggerConfig) -> dict[str, Any]:
    """JSON-safe body for storage; `TriggerConfig.model_validate` reads it back unchanged."""
    return config.model_dump(mode="json")
