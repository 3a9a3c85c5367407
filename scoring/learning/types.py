"""The plain data learning works on: stored decisions, what they meant, cards and outcomes.

Storage builds these from the override log, the cards and the renewal outcomes; nothing here
knows about sessions or Slack, so proposals and replays can build them by hand too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from scoring.learning.weeks import week_of


class Action(StrEnum):
    """What the override log's `action` column holds."""

    APPROVED = "approved"  # a card's draft sent as written
    EDITED = "edited"  # sent after a person changed it
    TAKEN_OVER = "taken_over"  # a person handles the touchpoint
    DISMISSED = "dismissed"  # closed with a reason
    AUTO_SENT = "auto_sent"  # an automated touch went out after its hold window
    CANCELLED = "cancelled"  # a person stopped an automated touch in its hold window
    HELD = "held"  # Tandem itself stopped an automated touch at send time (a hard rule)
    VETOED = "vetoed"  # a CSM made an account "always human"
    VETO_LIFTED = "veto_lifted"
    WORTH_A_LOOK = "worth_a_look"  # an audit card below the line: a person says it needed one
    NOT_NEEDED = "not_needed"  # an audit card: a person says Tandem was right to stay quiet
    # Nothing waits unseen (bot.workflows.ladder, bot.workflows.snooze): logged with the card,
    # never a decision on it. A snooze defers a card; it does not dismiss it.
    REMINDED = "reminded"  # Tandem reminded the owner of a waiting card in their digest
    CLIMBED_MANAGER = "climbed_manager"  # Tandem sent an unanswered card to the owner's manager
    CLIMBED_CHANNEL = "climbed_channel"  # ... and then to the team's escalation channel
    SNOOZED = "snoozed"  # a person put a card to sleep (1 day, 3 days, 1 week, until worse)
    WOKE = "woke"  # Tandem woke a snoozed card: its time was up, the account got worse, a new trigger


# Override-log rows that record what happened to a card while it waited, not what a person decided:
# learning, tuning and reports leave them out wherever decisions are counted.
NOT_DECISIONS = frozenset(
    {Action.REMINDED, Action.CLIMBED_MANAGER, Action.CLIMBED_CHANNEL, Action.SNOOZED, Action.WOKE}
)


class DismissCode(StrEnum):
    """A dismissal's reason code (storage.enums.DismissReason holds the same values)."""

    FALSE_POSITIVE = "false_positive"
    KNOWN_CONTEXT = "known_context"
    ALREADY_HANDLED = "already_handled"
    WRONG_TIMING = "wrong_timing"


class LabelKind(StrEnum):
    """What a decision meant, and so which part of Tandem it can teach."""

    WORTH_A_PERSON = "worth_a_person"  # approve, edit, take over: a threshold positive
    NOISE = "noise"  # dismissed as a false positive: a threshold negative
    EXCEPTION_CANDIDATE = "exception_candidate"  # known context: quiet it for that account, not everywhere
    REDUNDANT = "redundant"  # already handled: a dedupe or cooldown problem, not a threshold one
    DEFERRED = "deferred"  # wrong timing: says nothing about the alert
    AGAINST_AUTOMATION = "against_automation"  # a cancelled automated touch: not automate this there
    ANSWERED = "answered"  # an automated touch the customer replied to within the window
    IGNORED = "ignored"  # an automated touch with no reply within the window
    AWAITING_REPLY = "awaiting_reply"  # sent, and the reply window is still open
    NONE = "none"  # Tandem's own holds, vetoes, actions learning does not know


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """One override-log row with the context stored beside it at decision time.

    `propensity` is the chance the card was shown: 1 for a fired card, ε for an audit card
    below the line (weight its label by 1 / propensity). `edit_size` is the share of the draft
    a person changed (0 unchanged, 1 rewritten), for edits. `replied_at` is the customer's first
    reply after an automated send, when storage found one by `as_of`."""

    id: int
    account_id: str
    trigger: str
    action: str
    decided_at: datetime
    cycle_day: date | None = None  # the scoring day the card or touch came from
    reason_code: str | None = None  # a dismissal's DismissCode
    route: str = ""
    segment: str | None = None
    config_version: int | None = None
    fired_value: float | None = None
    threshold: float | None = None
    margin: float | None = None  # how far past the threshold, in the firing direction
    co_firing: tuple[str, ...] = ()  # the account's other triggers that fired the same day
    propensity: float = 1.0
    seconds_to_decide: float = 0.0
    edit_size: float | None = None
    actor: str = ""
    card_id: int | None = None
    outbox_id: int | None = None
    draft_kind: str | None = None
    prompt_version: str | None = None
    replied_at: datetime | None = None

    @property
    def day(self) -> date:
        """The day learning dates it by: the cycle day it came from, else the day it was made."""
        return self.cycle_day or self.decided_at.date()

    @property
    def is_audit(self) -> bool:
        return self.propensity < 1.0


@dataclass(frozen=True, slots=True)
class Label:
    decision: StoredDecision
    kind: LabelKind

    @property
    def threshold_label(self) -> bool | None:
        """True: the card was worth a person's time; False: noise; None: not a threshold label."""
        if self.kind is LabelKind.WORTH_A_PERSON:
            return True
        if self.kind is LabelKind.NOISE:
            return False
        return None

    @property
    def weight(self) -> float:
        """Inverse-propensity weight: an audit card stands for the near misses not shown."""
        return 1.0 / self.decision.propensity

    @property
    def day(self) -> date:
        return self.decision.day

    @property
    def week(self) -> date:
        return week_of(self.decision.day)


@dataclass(frozen=True, slots=True)
class CardRecord:
    """A card Tandem asked a person to look at, decided or not (for workload measures)."""

    card_id: int
    account_id: str
    trigger: str
    segment: str
    recipient: str
    cycle_day: date
    state: str
    propensity: float = 1.0


@dataclass(frozen=True, slots=True)
class KnownOutcome:
    """An account's renewal that has happened: renewed or churned."""

    account_id: str
    segment: str
    renewal_date: date
    churned: bool
