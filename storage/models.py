"""SQLAlchemy 2.0 typed models: the whole schema in one place.

Enum-like columns are plain strings holding the values of the StrEnums in `scoring.types`
and `storage.enums`; importers and repositories validate them, so the schema stays portable
between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.column_types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class User(Base):
    """A person who uses Tandem in Slack: CSM, manager, ops or admin."""

    __tablename__ = "users"

    slack_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # storage.enums.Role
    email: Mapped[str | None] = mapped_column(String(320))
    manager_slack_id: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_time: Mapped[str] = mapped_column(String(5), default="08:30")  # HH:MM local


class Account(Base):
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    segment: Mapped[str] = mapped_column(String(16))  # scoring.types.Segment
    arr: Mapped[float] = mapped_column(Float)
    owner_slack_id: Mapped[str] = mapped_column(ForeignKey("users.slack_id"), index=True)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    industry: Mapped[str | None] = mapped_column(String(100))
    contract_start: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(64))
    automation_mode: Mapped[str | None] = mapped_column(String(8))  # AutomationMode
    contact_email: Mapped[str | None] = mapped_column(String(320))
    shared_channel_id: Mapped[str | None] = mapped_column(String(32))
    domain: Mapped[str | None] = mapped_column(String(253), index=True)  # the customer's email domain
    champion_email: Mapped[str | None] = mapped_column(String(320))  # their champion (silence is a signal)
    account_executive_slack_id: Mapped[str | None] = mapped_column(String(32))  # sales hand-offs
    # A CSM's veto ("always human"): sticks until the CSM lifts it.
    always_human: Mapped[bool] = mapped_column(Boolean, default=False)
    always_human_by: Mapped[str | None] = mapped_column(String(32))
    # Set by Take over: a person now handles this account and automation is paused.
    human_handled_by: Mapped[str | None] = mapped_column(String(32))
    human_handled_since: Mapped[datetime | None]
    hand_back_reminded_at: Mapped[
        datetime | None
    ]  # told it goes back to Tandem soon (bot.workflows.hand_off)
    # "Pause automation on X for N days" (the assistant, behind Confirm): a person handles every
    # touchpoint until then, as under a veto, and automation resumes by itself after it.
    automation_paused_until: Mapped[datetime | None]
    automation_paused_by: Mapped[str | None] = mapped_column(String(32))


class UsageDaily(Base):
    __tablename__ = "usage_daily"
    # Covers the scoring pass's aggregate (per account, by day), so it reads the index alone.
    __table_args__ = (Index("ix_usage_daily_scoring", "account_id", "day", "active_users", "licensed_seats"),)

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)  # window scans
    active_users: Mapped[int] = mapped_column(Integer)
    licensed_seats: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)


class FeatureUsage(Base):
    __tablename__ = "feature_usage"
    # The scoring pass groups by (account, feature) over a window of days: in this order, with
    # the count, it streams the groups without sorting (migration 0020).
    __table_args__ = (Index("ix_feature_usage_account_feature_day", "account_id", "feature", "day", "count"),)

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    feature: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "tickets"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    severity: Mapped[str] = mapped_column(String(8))  # scoring.types.Severity
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    is_escalation_request: Mapped[bool] = mapped_column(Boolean, default=False)
    # VADER compound tone of subject and body (-1..1), set whenever the text is written.
    sentiment: Mapped[float | None] = mapped_column(Float)


class BillingEvent(Base):
    __tablename__ = "billing_events"
    __table_args__ = (UniqueConstraint("account_id", "day", "kind", "amount"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # scoring.types.BillingKind
    amount: Mapped[float] = mapped_column(Float)


class EngagementEvent(Base):
    __tablename__ = "engagement_events"
    __table_args__ = (UniqueConstraint("account_id", "at", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # scoring.types.EngagementKind
    value: Mapped[float | None] = mapped_column(Float)


class ContextEvent(Base):
    __tablename__ = "context_events"
    __table_args__ = (UniqueConstraint("account_id", "kind", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # scoring.types.ContextKind
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class Milestone(Base):
    __tablename__ = "milestones"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    step: Mapped[str] = mapped_column(String(200), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date)
    completed_at: Mapped[datetime | None]


class RenewalOutcome(Base):
    __tablename__ = "renewal_outcomes"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    renewal_date: Mapped[date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))  # renewed, churned


class AccountChurn(Base):
    """The day an account left outside a renewal (a monthly or self-serve customer): one per
    account. A churn at a renewal is a `RenewalOutcome` with outcome churned instead."""

    __tablename__ = "account_churns"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    churned_at: Mapped[date] = mapped_column(Date)


class TriggerConfig(Base):
    """A versioned trigger configuration; exactly one is active."""

    __tablename__ = "trigger_configs"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[dict[str, Any]]
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")


class HealthSnapshot(Base):
    """One score per account per scoring day."""

    __tablename__ = "health_snapshots"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True, index=True)  # a day's snapshots
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    factors: Mapped[dict[str, Any]]
    explanation: Mapped[str] = mapped_column(Text)
    config_version: Mapped[int | None] = mapped_column(Integer)
    expansion_readiness: Mapped[int | None] = mapped_column(Integer)  # 0-100
    renewal_risk: Mapped[float | None] = mapped_column(Float)  # churn probability; within 90 days of renewal


class Signal(Base):
    """A fired trigger and the route it was given; one per account, trigger and day."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("account_id", "trigger", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    trigger: Mapped[str] = mapped_column(String(24))  # scoring.types.TriggerKey
    as_of: Mapped[date] = mapped_column(Date)
    fired_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    route: Mapped[str] = mapped_column(String(10))  # scoring.types.Route
    reasons: Mapped[dict[str, Any]]  # {"codes": [...], "sentences": [...]}
    config_version: Mapped[int | None] = mapped_column(Integer)


class Draft(Base):
    """What was written for a signal or a brief, by whom, from which prompt and facts, at what cost.

    (facts_hash, prompt_version, kind, author) is the drafting cache's key: the same facts with
    the same prompt version reuse a stored draft instead of asking the LLM again.
    """

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_cache_key", "facts_hash", "prompt_version", "kind", "author"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    kind: Mapped[str] = mapped_column(String(32))  # check_in, renewal_reminder, brief, ...
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))  # "template" or "llm:<model>"
    prompt_version: Mapped[str] = mapped_column(String(32))
    facts_hash: Mapped[str] = mapped_column(String(64), index=True)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    needs_review: Mapped[str | None] = mapped_column(Text)  # why a human must look closer
    created_at: Mapped[datetime]
    cost_usd: Mapped[float | None] = mapped_column(Float)  # estimated price of the LLM calls behind it
    # A brief's sections, claims and cited sources (prompts.brief_document), to rebuild it exactly.
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reused_draft_id: Mapped[int | None] = mapped_column(Integer)  # the stored draft a cache hit copied


class EscalationCard(Base):
    """A decision put in front of a person. State: pending -> approved / edited /
    taken_over / dismissed. Every transition is a guarded update on `state = 'pending'`.

    An audit card (kind "audit") asks about an account no trigger fired on, a near miss just
    short of a threshold trigger's line: it has no signal, its `audit` body holds the near miss,
    `propensity` the chance it had of being drawn, and it is answered pending -> worth_a_look /
    not_needed. A fired card's propensity is NULL (it was shown for certain: 1.0)."""

    __tablename__ = "escalation_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signal_id: Mapped[int | None] = mapped_column(
        ForeignKey("signals.id"), unique=True
    )  # NULL: an audit card
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    recipient_slack_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    final_text: Mapped[str | None] = mapped_column(Text)
    dismiss_reason: Mapped[str | None] = mapped_column(String(32))
    # "dm": posted to the recipient at once; "digest": over the day's card budget, it waits in
    # the next digest until the CSM opens it from there (storage.enums.CardDelivery).
    delivery: Mapped[str] = mapped_column(String(8), default="dm", server_default="dm")
    kind: Mapped[str] = mapped_column(String(8), default="fired", server_default="fired")  # CardKind
    propensity: Mapped[float | None] = mapped_column(Float)  # an audit card's chance of being drawn
    # "<recipient>:<ISO week>" of an audit card: one per CSM per week, whoever races to write it.
    audit_key: Mapped[str | None] = mapped_column(String(48), unique=True, index=True)
    audit: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the near miss an audit card asks about
    # The escalation ladder (storage.enums.Rung): who the undecided card has reached, since when.
    rung: Mapped[str] = mapped_column(String(10), default="owner", server_default="owner")
    ladder_since: Mapped[datetime | None]  # the ladder's clock: posted, or back from a snooze
    climbed_at: Mapped[datetime | None]
    # A snooze (storage.enums.SnoozeMode): asleep until `snoozed_until`, or until the account's
    # score falls `attention.snooze_wake_points` below `snooze_score`, or a new trigger fires.
    snoozed_until: Mapped[datetime | None]
    snooze_mode: Mapped[str | None] = mapped_column(String(8))
    snooze_score: Mapped[int | None] = mapped_column(Integer)
    snoozed_by: Mapped[str | None] = mapped_column(String(32))
    snooze_count: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )  # keys each return's re-post


class SlackDelivery(Base):
    """A Slack message Tandem owes someone: a card, an escalation notice, a circuit-breaker alert,
    a delivery-failure notice to ops. One row per (message, recipient), keyed so it is owed once.

    Claimed before posting (queued -> sending, with a claim token), posted with the row's id in
    the message's metadata, then marked sent by the claimant alone. A failed post goes back to
    the queue with a growing delay and, after its last attempt, is `failed` and shown to ops. A
    claim that goes stale (a crash mid-post) or a post that may have reached Slack sets
    `maybe_posted_since`: the next attempt first looks for the message in the channel's history.
    A card's row holds no text: the card is rendered from its current state when posted."""

    __tablename__ = "slack_deliveries"
    __table_args__ = (Index("ix_slack_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # storage.enums.DeliveryKind
    recipient: Mapped[str] = mapped_column(String(64))  # a user id (their DM) or a channel id
    card_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_cards.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    blocks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="queued")  # storage.enums.DeliveryState
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    maybe_posted_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    ops_told_at: Mapped[datetime | None]  # when ops was told it failed for good


class OverrideRecord(Base):
    """The override log: one row per decision on a card or an automated touch.

    A card decision has `card_id`; an automated touch (sent after its hold window, or
    cancelled by a CSM from the digest) has `outbox_id`."""

    __tablename__ = "override_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_cards.id"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    # None for a tuning step (tune_accepted and friends): about the configuration, no one account.
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    trigger: Mapped[str] = mapped_column(String(24))
    proposed_route: Mapped[str] = mapped_column(String(16))
    proposed_draft: Mapped[str] = mapped_column(Text, default="")
    # approved, edited, taken_over, dismissed (cards); auto_sent, cancelled (automated touches);
    # worth_a_look, not_needed (audit cards: their proposed_route is "audit", their propensity
    # is the card's); vetoed, veto_lifted; exception_set, exception_declined, exception_lifted,
    # exception_lapsed, exception_expired (account exceptions); tune_proposed, tune_accepted,
    # tune_shadowed, tune_shadow_ended, tune_rejected, tune_rolled_back (tuning proposals)
    action: Mapped[str] = mapped_column(String(24))
    edited_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_slack_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(index=True)
    seconds_to_decide: Mapped[float] = mapped_column(Float)
    config_version: Mapped[int | None] = mapped_column(Integer)
    # What learning needs, stored at decision time (scoring.learning.types.StoredDecision).
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    # The signal's as_of: the cycle day the card came from, which labels and weeks are dated by.
    cycle_day: Mapped[date | None] = mapped_column(Date, index=True)
    reason_code: Mapped[str | None] = mapped_column(String(32))  # a dismissal's DismissReason
    segment: Mapped[str | None] = mapped_column(String(16))  # the account's, when decided
    fired_value: Mapped[float | None] = mapped_column(Float)  # the trigger's measured value ...
    threshold: Mapped[float | None] = mapped_column(Float)  # ... the line it crossed ...
    margin: Mapped[float | None] = mapped_column(Float)  # ... and how far past it (>= 0 when fired)
    co_firing: Mapped[list[str] | None] = mapped_column(JSON)  # the account's other triggers that day
    propensity: Mapped[float | None] = mapped_column(Float)  # 1 for a fired card, ε for an audit card
    edit_size: Mapped[float | None] = mapped_column(Float)  # an edit: share of the draft changed, 0-1


class AccountException(Base):
    """An account exception ("quiet until it gets worse"): one trigger kept quiet on one account
    until `expires_at`, unless the score falls `lapse_points` below `baseline_score` or another
    trigger fires. Offered to the owner after repeated known-context dismissals (`offered`, then
    `active` or `declined`), or set at once from a card's menu (`active`); an active one ends
    `lapsed` (the cycle decided, with why) or `lifted` (a person). Every transition is a guarded
    update on `state`; at most one is active per account and trigger."""

    __tablename__ = "account_exceptions"
    __table_args__ = (
        Index(
            "uq_account_exceptions_active",
            "account_id",
            "trigger",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    trigger: Mapped[str] = mapped_column(String(24))  # scoring.types.TriggerKey
    state: Mapped[str] = mapped_column(String(10), index=True)  # storage.enums.ExceptionState
    # The card it came from: an offer's second known-context dismissal, or the card whose menu set it.
    card_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_cards.id"), unique=True)
    offered_at: Mapped[datetime | None]
    set_by: Mapped[str | None] = mapped_column(String(32))
    set_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    baseline_score: Mapped[int | None] = mapped_column(Integer)  # the account's score when set
    declined_by: Mapped[str | None] = mapped_column(String(32))
    declined_at: Mapped[datetime | None]
    lapsed_at: Mapped[datetime | None]
    lapse_reason: Mapped[str | None] = mapped_column(String(16))  # scoring.exceptions.LapseReason
    lapse_detail: Mapped[str | None] = mapped_column(Text)  # the sentence, for explain and App Home
    lifted_by: Mapped[str | None] = mapped_column(String(32))
    lifted_at: Mapped[datetime | None]


class TuningProposal(Base):
    """A learned change to the trigger configuration (`tune propose`), waiting for ops.

    `config_version` is the inactive version holding the change, made from `parent_version`;
    `state` is storage.enums.ProposalState (proposed, shadowing, accepted, rejected, rolled_back,
    superseded). Every transition is a guarded update on `state`, so a second click is a no-op."""

    __tablename__ = "tuning_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(
        String(160), index=True
    )  # "threshold:health_low:smb", "calibration:score"
    kind: Mapped[str] = mapped_column(String(16))  # scoring.learning.proposal_types.ProposalKind
    trigger: Mapped[str] = mapped_column(String(24))
    segment: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    config_version: Mapped[int] = mapped_column(Integer, unique=True)
    parent_version: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[dict[str, Any]]  # {"sentences": [...], "figures": {...}, "changes": [...]}
    replay: Mapped[dict[str, Any]]  # bot.tuning.replay's summary over the last 90 days
    drift: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the drift flag that re-ran it, if any
    cycle_day: Mapped[date] = mapped_column(Date)  # the day it was proposed as of
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # a rejection's reason
    shadow_until: Mapped[date | None] = mapped_column(Date)
    shadow_report: Mapped[dict[str, Any] | None] = mapped_column(
        JSON
    )  # what it would have posted, day by day
    rolled_back_by: Mapped[str | None] = mapped_column(String(32))
    rolled_back_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """Outreach waiting to go out. `idempotency_key` makes every send happen once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_cards.id"))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))  # an automated touch's trigger
    channel: Mapped[str] = mapped_column(String(16))  # record, email, slack
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    created_at: Mapped[datetime]
    send_after: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # An automated touch is sent only after its CSM has seen it with Cancel (their digest) for
    # the hold window, counted in their working hours; this is when the digest first showed it.
    visible_since: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]  # when a worker took it for sending (a stuck send is reconciled)
    # Resent after a send that may have gone out (stuck in `sending`): ops may see it twice.
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ops_told_at: Mapped[datetime | None]  # when ops heard it failed for good


class CircuitBreakerTrip(Base):
    """A trigger that fired on an implausible share of the book in one run: its signals were
    held and ops alerted. One per scoring day and trigger; ops may release it."""

    __tablename__ = "circuit_breaker_trips"

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(24), primary_key=True)
    fired: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer)
    max_share: Mapped[float] = mapped_column(Float)
    config_version: Mapped[int | None] = mapped_column(Integer)
    tripped_at: Mapped[datetime]
    alerted_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(32))
    released_at: Mapped[datetime | None]


class DigestRun(Base):
    """One digest per user per local day: a restart or a second trigger never re-posts it."""

    __tablename__ = "digest_runs"

    user_slack_id: Mapped[str] = mapped_column(ForeignKey("users.slack_id"), primary_key=True)
    local_day: Mapped[date] = mapped_column(Date, primary_key=True)
    posted_at: Mapped[datetime]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))


class AssistantConversation(Base):
    """A conversation with the assistant in one thread: what it is about (an account, a card)
    and its last turns, kept until `expires_at` (a follow-up keeps its context; Slack's history
    is never re-read)."""

    __tablename__ = "assistant_conversations"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    requester: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str | None] = mapped_column(String(64))
    card_id: Mapped[int | None] = mapped_column(Integer)
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"role": "user"|"assistant", "text": …}]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AssistantAction(Base):
    """A state-changing request asked in words, waiting for Confirm: never run from the model's
    output. State: pending -> confirmed / cancelled / expired, each a guarded update (consumed once)."""

    __tablename__ = "assistant_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))  # bot.assistant.types.Intent (an action intent)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_cards.id"))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)  # "Pause automation on *Acme* for 14 days?"
    channel: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the Confirm card's
    state: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)  # what was done, or why not


class AssistantAnswer(Base):
    """Every answer the assistant gave: the question, how it was made, its sources, tokens and
    cost (like drafts'), and its message ts, which feedback clicks refer to."""

    __tablename__ = "assistant_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str] | None] = mapped_column(JSON)
    via: Mapped[str] = mapped_column(String(100))  # "grammar" or "llm:<model>"
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    message_ts: Mapped[str | None] = mapped_column(String(32), index=True)


class SeenSlackRequest(Base):
    """A signed, state-changing Slack request Tandem acted on (`/veto`, `/flag`, …), kept while
    Bolt would still accept its timestamp, so the same signed bytes sent again (a replay, to
    this replica or another) are refused. `fingerprint` is a hash of its X-Slack-Signature."""

    __tablename__ = "seen_slack_requests"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))  # "/veto", "/flag", "escalation-card-more"
    actor_slack_id: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ConversationChannel(Base):
    """A Slack Connect channel Tandem was invited to. State (storage.enums.ChannelState):
    proposed (matched to an account, waiting for the owner's confirmation) -> linked, or
    excluded / unlinked. Only a linked channel's messages are stored."""

    __tablename__ = "conversation_channels"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    is_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    external_team_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    state: Mapped[str] = mapped_column(String(12))
    match_reason: Mapped[str | None] = mapped_column(Text)  # "3 of 4 external members have @acme.com"
    proposed_to: Mapped[str | None] = mapped_column(String(32))  # the owner asked to confirm
    proposal_channel: Mapped[str | None] = mapped_column(String(32))
    proposal_ts: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    retention_days: Mapped[int | None] = mapped_column(Integer)  # None: the app's default
    backfill_cursor: Mapped[str | None] = mapped_column(String(500))  # conversations.history's next_cursor
    backfill_oldest: Mapped[str | None] = mapped_column(String(32))
    backfill_state: Mapped[str | None] = mapped_column(String(12))  # None, "running", "done"
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConversationPerson(Base):
    """A member seen in a linked channel, classified once by their team: customer, internal, bot."""

    __tablename__ = "conversation_people"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(10))  # storage.enums.AuthorKind
    updated_at: Mapped[datetime]


class ConversationMessage(Base):
    """One message in a linked channel, stored once per (channel, ts). Its text lives until
    `keep_text_until`, then the purge sets it to NULL: what was derived from it stays."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "ts", name="uq_conversation_messages_channel_ts"),
        Index("ix_conversation_messages_account_posted", "account_id", "posted_at"),
        # Answering a question reads the channel's messages around it (not the whole channel).
        Index("ix_conversation_messages_channel_posted", "channel_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("conversation_channels.channel_id"))
    ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    account_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(32))
    author_kind: Mapped[str] = mapped_column(String(10))  # storage.enums.AuthorKind
    posted_at: Mapped[datetime]
    text: Mapped[str | None] = mapped_column(Text)
    keep_text_until: Mapped[datetime | None] = mapped_column(index=True)
    text_purged_at: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    tone: Mapped[float | None] = mapped_column(Float)  # the ticket lexicon's compound score
    is_question: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime | None]  # a customer question's first internal reply
    permalink: Mapped[str | None] = mapped_column(String(500))  # chat.getPermalink, fetched when cited
    received_at: Mapped[datetime]


class ConversationTopicCache(Base):
    """The LLM topic classifier's answer for a text, keyed by the text's hash (never the text)."""

    __tablename__ = "conversation_topic_cache"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    topics: Mapped[list[str]] = mapped_column(JSON)
    tokens: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(index=True)


class CardClick(Base):
    """An Approve or Take over click, stored before its ack (bot.workflows.click_inbox): a click
    Slack saw answered is never lost, even when its replica dies before deciding it. State:
    pending -> done (in the decision's own transaction)."""

    __tablename__ = "card_clicks"
    __table_args__ = (
        UniqueConstraint("click_key", name="uq_card_clicks_click_key"),
        Index("ix_card_clicks_state_received", "state", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    click_key: Mapped[str] = mapped_column(String(160))  # action:card:person:action_ts (a retry's too)
    action: Mapped[str] = mapped_column(String(16))  # "approve", "take_over"
    card_id: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(32))
    clicked_channel: Mapped[str | None] = mapped_column(String(32))
    clicked_ts: Mapped[str | None] = mapped_column(String(32))
    response_url: Mapped[str | None] = mapped_column(Text)  # for a refusal told after the ack
    state: Mapped[str] = mapped_column(String(8))  # "pending", "done"
    received_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))  # "approved", "refused: …"


Index("ix_signals_as_of", Signal.as_of)
