"""Storage-side vocabularies that scoring does not need."""

from enum import StrEnum


class Role(StrEnum):
    CSM = "csm"
    MANAGER = "manager"
    OPS = "ops"
    ADMIN = "admin"


class CardState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EDITED = "edited"
    TAKEN_OVER = "taken_over"
    DISMISSED = "dismissed"
    SUPERSEDED = "superseded"  # never opened from the digest, and a newer card took its place
    WORTH_A_LOOK = "worth_a_look"  # an audit card's answer: the near miss deserved a person's time
    NOT_NEEDED = "not_needed"  # an audit card's answer: rightly left alone


# The override log's actions that are a person's decision on a card, in the order Slack shows
# them. Everything else in the log (auto_sent, climbed_manager, reminded, snoozed, woke,
# handed_back, exception_*, tune_*, ...) is context, not a decision: rates and medians of
# decisions count these only.
DECISION_ACTIONS: tuple[str, ...] = (
    CardState.APPROVED.value,
    CardState.EDITED.value,
    CardState.TAKEN_OVER.value,
    CardState.DISMISSED.value,
)


class CardKind(StrEnum):
    FIRED = "fired"  # a trigger fired: a decision for a person (its propensity is 1)
    AUDIT = "audit"  # a near miss drawn at random below the line: "Worth a look?"


class Rung(StrEnum):
    """How far an undecided card has climbed the escalation ladder (bot.workflows.ladder)."""

    OWNER = "owner"  # with its recipient only
    REMINDED = "reminded"  # a human or assist card: reminded in the owner's digest
    MANAGER = "manager"  # sent to the owner's manager by DM
    CHANNEL = "channel"  # an escalate card: posted to the team's escalation channel


class SnoozeMode(StrEnum):
    """How long a snoozed card sleeps; every mode also wakes when the account gets worse."""

    ONE_DAY = "1d"
    THREE_DAYS = "3d"
    ONE_WEEK = "1w"
    UNTIL_WORSE = "worse"


class CardDelivery(StrEnum):
    DM = "dm"  # posted to the recipient's DM at once
    DIGEST = "digest"  # over the day's card budget: waits in the next digest


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker; a cancel can no longer stop it
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


class DeliveryKind(StrEnum):
    """What a Slack delivery carries (storage.models.SlackDelivery)."""

    CARD = "card"  # rendered from the card's current state when posted
    ESCALATION_NOTICE = "escalation_notice"  # to the CSM's manager when a card escalates
    BREAKER_ALERT = "breaker_alert"  # to each ops user when the circuit breaker trips
    DELIVERY_FAILED = "delivery_failed"  # to ops: a message could not be delivered
    DIGEST = "digest"  # a person's morning digest, built when due
    OPS_ALERT = "ops_alert"  # to ops: a scheduled run failed, or finished with problems
    EXCEPTION_OFFER = "exception_offer"  # to an owner: "quiet until it gets worse" on one trigger
    TUNING = "tuning"  # to each ops and admin user: the week's trigger-tuning proposals
    CALIBRATION = "calibration"  # to each ops and admin user: a calibration proposal
    CALIBRATION_CHART = "calibration_chart"  # its reliability diagram, into that message's thread
    ASSISTANT_ANSWER = "assistant_answer"  # the assistant's answer, in the asker's thread
    DM_HELP = "dm_help"  # the short help answer to a person's direct message to Tandem
    HAND_OFF = "hand_off"  # a take-over's hand-off packet, into the card's thread (bot.workflows.hand_off)
    HAND_BACK = "hand_back"  # to whoever holds an account: the hand-back reminder, or that it went back
    # The escalation ladder and snooze (bot.workflows.card_messages): a card's further copies
    # (to the manager, the escalation channel, back to the owner after a snooze), rendered from
    # the card's state like the owner's, and each later change of a card shown on every copy.
    CARD_COPY = "card_copy"
    CARD_UPDATE = "card_update"  # a chat.update of one posted copy (its key names the message)
    CHANNEL_PROPOSAL = "channel_proposal"  # to an owner: "Link #channel to Account?" (bot.workflows.channels)


class DeliveryState(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"  # out of attempts: shown to ops, who may retry it
    CANCELLED = "cancelled"  # no longer owed (a card decided or superseded before it was posted)


class RenewalOutcomeKind(StrEnum):
    RENEWED = "renewed"
    CHURNED = "churned"


class DismissReason(StrEnum):
    """Why a CSM dismissed a card: the override log's most useful signal for tuning triggers."""

    FALSE_POSITIVE = "false_positive"
    KNOWN_CONTEXT = "known_context"
    ALREADY_HANDLED = "already_handled"
    WRONG_TIMING = "wrong_timing"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ExceptionState(StrEnum):
    """An account exception's life (storage.models.AccountException)."""

    OFFERED = "offered"  # in the owner's DM, unanswered
    DECLINED = "declined"  # "No thanks"
    ACTIVE = "active"  # the trigger is quiet on the account
    LAPSED = "lapsed"  # the cycle ended it: expired, the score worse, another trigger fired
    LIFTED = "lifted"  # a person ended it


class ProposalState(StrEnum):
    """A tuning proposal's life: ops accepts, shadows first, or rejects; an accepted one can be
    rolled back; a newer proposal for the same key supersedes one still waiting."""

    PROPOSED = "proposed"
    SHADOWING = "shadowing"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled_back"
    SUPERSEDED = "superseded"


class ChannelState(StrEnum):
    """A Slack Connect channel's link to an account (storage.models.ConversationChannel)."""

    UNMATCHED = "unmatched"  # invited, but no account's domain matched its external members
    PROPOSED = "proposed"  # matched; the owning CSM was asked to confirm
    LINKED = "linked"  # confirmed: its messages are stored and become signals
    UNLINKED = "unlinked"  # a person ended the link (nothing new is stored)
    EXCLUDED = "excluded"  # never listen here


class AuthorKind(StrEnum):
    """Who wrote a message in a linked channel, by their team."""

    CUSTOMER = "customer"
    INTERNAL = "internal"
    BOT = "bot"
