"""Every Slack action, block and callback id Tandem uses, in one place.

Handlers and builders refer to these members, never to string literals, so a rename is one
edit and a typo is an AttributeError instead of a silently dead button.
"""

from enum import StrEnum


class CardAction(StrEnum):
    APPROVE = "escalation-card-approve"
    EDIT = "escalation-card-edit"
    TAKE_OVER = "escalation-card-take-over"


class CardBlock(StrEnum):
    ACTIONS = "escalation-card-actions"
    WHY = "escalation-card-why"
    CITED = "escalation-card-cited"  # the customer's messages the card cites


class AuditAction(StrEnum):
    """An audit card's two answers; the button's value is the card id."""

    WORTH_A_LOOK = "audit-card-worth-a-look"
    NOT_NEEDED = "audit-card-not-needed"


class AuditBlock(StrEnum):
    ACTIONS = "audit-card-actions"


class CardMenu(StrEnum):
    """The overflow menu beside a card's "Why"; option values are "<verb>:<card id>"."""

    MORE = "escalation-card-more"
    DISMISS = "dismiss"
    VETO = "veto"  # "always human" on the card's account
    QUIET = "quiet"  # "quiet until it gets worse": an exception on the card's account and trigger
    SNOOZE = "snooze"  # opens the snooze modal: 1 day, 3 days, 1 week, until it gets worse


class SnoozeModal(StrEnum):
    CALLBACK = "escalation-card-snooze-submit"
    MODE_BLOCK = "escalation-card-snooze-mode"
    MODE_INPUT = "escalation-card-snooze-mode-input"


class DismissModal(StrEnum):
    CALLBACK = "escalation-card-dismiss-submit"
    REASON_BLOCK = "escalation-card-dismiss-reason"
    REASON_INPUT = "escalation-card-dismiss-reason-input"
    NOTE_BLOCK = "escalation-card-dismiss-note"
    NOTE_INPUT = "escalation-card-dismiss-note-input"


class EditModal(StrEnum):
    CALLBACK = "escalation-card-edit-submit"
    DRAFT_BLOCK = "escalation-card-edit-draft"
    DRAFT_INPUT = "escalation-card-edit-draft-input"


class AutoTouchAction(StrEnum):
    CANCEL = "auto-touch-cancel"


class Command(StrEnum):
    BRIEF = "/brief"
    FLAG = "/flag"
    VETO = "/veto"
    QBR = "/qbr"
    HEALTH = "/health"


class CircuitAction(StrEnum):
    """The ops alert of a tripped circuit breaker; the button's value is "<as_of>|<trigger>"."""

    RELEASE = "circuit-breaker-release"


class DigestAction(StrEnum):
    OPEN_CARD = "digest-open-card"  # a card that waited in the digest (over the day's budget)


class DeliveryAction(StrEnum):
    """Ops' Retry on a Slack message Tandem could not deliver; the button's value is its id."""

    RETRY = "delivery-retry"


class OutreachAction(StrEnum):
    """Retry on an email (or shared-channel message) to a customer that failed for good; the
    button's value is its outbox id."""

    RETRY = "outreach-retry"


class ExceptionAction(StrEnum):
    """Account exceptions ("quiet until it gets worse"): the owner's offer in their DM, and Lift
    in App Home; each button's value is the exception's id."""

    ACCEPT = "exception-offer-accept"
    DECLINE = "exception-offer-decline"
    LIFT = "exception-lift"


class TuningAction(StrEnum):
    """Ops' decisions on a trigger-tuning proposal (the weekly message and App Home); each
    button's value is the proposal's id."""

    ACCEPT = "tuning-proposal-accept"
    SHADOW = "tuning-proposal-shadow"
    REJECT = "tuning-proposal-reject"  # opens TuningModal.REJECT_CALLBACK
    DETAILS = "tuning-proposal-details"  # opens the replay table
    ROLLBACK = "tuning-proposal-rollback"
    CALIBRATION_DETAILS = "tuning-calibration-details"  # a calibration's findings, bands and backtest


class TuningModal(StrEnum):
    """Reject asks for a reason; its private_metadata is "<proposal id>" or, from a message,
    "<proposal id>|<channel id>|<message ts>" so the message can be updated on submit."""

    REJECT_CALLBACK = "tuning-proposal-reject-submit"
    REASON_BLOCK = "tuning-proposal-reject-reason"
    REASON_INPUT = "tuning-proposal-reject-reason-input"
    DETAILS_CALLBACK = "tuning-proposal-details-view"
    CALIBRATION_DETAILS_CALLBACK = "tuning-calibration-details-view"


class OpsHomeAction(StrEnum):
    """Ops' override-log section in App Home: four filters (static_select / users_select; the
    chosen ones travel in the Home view's private_metadata), Clear filters and Export (opens
    OpsExportModal)."""

    FILTER_TRIGGER = "ops-home-filter-trigger"
    FILTER_SEGMENT = "ops-home-filter-segment"
    FILTER_CSM = "ops-home-filter-csm"
    FILTER_ACTION = "ops-home-filter-action"
    CLEAR = "ops-home-filter-clear"
    EXPORT = "ops-home-export"


class OpsHomeBlock(StrEnum):
    FILTERS = "ops-home-filters"


class OpsExportModal(StrEnum):
    """Export the override log as CSV: a period (two datepickers) and the same four filters."""

    CALLBACK = "ops-export-submit"
    START_BLOCK = "ops-export-start"
    START_INPUT = "ops-export-start-input"
    END_BLOCK = "ops-export-end"
    END_INPUT = "ops-export-end-input"
    TRIGGER_BLOCK = "ops-export-trigger"
    TRIGGER_INPUT = "ops-export-trigger-input"
    SEGMENT_BLOCK = "ops-export-segment"
    SEGMENT_INPUT = "ops-export-segment-input"
    CSM_BLOCK = "ops-export-csm"
    CSM_INPUT = "ops-export-csm-input"
    ACTION_BLOCK = "ops-export-action"
    ACTION_INPUT = "ops-export-action-input"


class HandOffAction(StrEnum):
    """A take-over's hold on an account: Hand back on the hand-off packet (in the card's thread),
    Keep it and Hand back now on the reminder before it goes back by itself; each button's value
    is the account id."""

    HAND_BACK = "hand-off-hand-back"
    KEEP = "hand-off-keep"
    HAND_BACK_NOW = "hand-off-hand-back-now"


class HandOffBlock(StrEnum):
    ACTIONS = "hand-off-actions"  # the packet's Hand back button; gives way to who handed it back
    REMINDER_ACTIONS = "hand-off-reminder-actions"


class AssistantActionId(StrEnum):
    """The Confirm card of a request asked in words (bot.assistant.actions); each button's value
    is the pending action's id. Only a click carries it out: typed text never does."""

    CONFIRM = "assistant-action-confirm"
    CANCEL = "assistant-action-cancel"


class AssistantActionBlock(StrEnum):
    ACTIONS = "assistant-action-buttons"


class ChannelLinkAction(StrEnum):
    """A Slack Connect channel's link to an account: the owner's confirm card in their DM (Link,
    Not this account, Exclude; once decided, Unlink and Exclude) and the channels section of ops'
    App Home (the same, Link to an account… and Purge now). A button's value is "<channel id>",
    or "<channel id>|<account id>" for an answer about that account."""

    LINK = "channel-link-link"
    NOT_THIS = "channel-link-not-this-account"
    EXCLUDE = "channel-link-exclude"
    UNLINK = "channel-link-unlink"
    CHOOSE_ACCOUNT = "channel-link-choose-account"  # opens ChannelLinkModal (ops)
    PURGE = "channel-text-purge"  # behind a confirm dialog (ops)


class ChannelLinkBlock(StrEnum):
    ACTIONS = "channel-link-actions"


class ChannelLinkModal(StrEnum):
    """Ops links a channel to the account they name; private_metadata is the channel id."""

    CALLBACK = "channel-link-account-submit"
    ACCOUNT_BLOCK = "channel-link-account"
    ACCOUNT_INPUT = "channel-link-account-input"
