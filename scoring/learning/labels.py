"""What each stored decision meant: one pure mapping from the override log to labels.

| decision | label | what it can teach |
|---|---|---|
| approved, edited, taken over | worth a person | threshold (positive) |
| dismissed: false positive | noise | threshold (negative) |
| dismissed: known context | exception candidate | an exception for that account |
| dismissed: already handled | redundant | dedupe or the cooldown |
| dismissed: wrong timing | deferred | nothing (no label) |
| automated touch cancelled | against automation | routing of that trigger there |
| automated touch sent | answered / ignored / awaiting reply | the touch's outcome |
| held by Tandem, vetoed, veto lifted, unknown | none | — |

An automated touch is answered when the customer replied within `reply_window_days` of the
send, ignored when that window has passed by `as_of` without a reply, and awaiting a reply
until then. Only the first two rows are threshold labels; everything else goes elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from scoring.learning.types import Action, DismissCode, Label, LabelKind, StoredDecision

CARD_ACTIONS: dict[str, LabelKind] = {
    Action.APPROVED: LabelKind.WORTH_A_PERSON,
    Action.EDITED: LabelKind.WORTH_A_PERSON,
    Action.TAKEN_OVER: LabelKind.WORTH_A_PERSON,
    Action.CANCELLED: LabelKind.AGAINST_AUTOMATION,
    # Audit answers label the near miss the same way; their weight (1/propensity) tells them apart.
    Action.WORTH_A_LOOK: LabelKind.WORTH_A_PERSON,
    Action.NOT_NEEDED: LabelKind.NOISE,
}
DISMISSALS: dict[str, LabelKind] = {
    DismissCode.FALSE_POSITIVE: LabelKind.NOISE,
    DismissCode.KNOWN_CONTEXT: LabelKind.EXCEPTION_CANDIDATE,
    DismissCode.ALREADY_HANDLED: LabelKind.REDUNDANT,
    DismissCode.WRONG_TIMING: LabelKind.DEFERRED,
}
DEFAULT_REPLY_WINDOW_DAYS = 14


def label_for(
    decision: StoredDecision, *, as_of: date, reply_window_days: int = DEFAULT_REPLY_WINDOW_DAYS
) -> Label:
    """The label of one decision, as known on `as_of`."""
    return Label(decision, _kind(decision, as_of, reply_window_days))


def labels_from(
    decisions: Iterable[StoredDecision], *, as_of: date, reply_window_days: int = DEFAULT_REPLY_WINDOW_DAYS
) -> list[Label]:
    """Every decision's label, in the order given (decisions with no label included, as NONE)."""
    return [label_for(d, as_of=as_of, reply_window_days=reply_window_days) for d in decisions]


def _kind(decision: StoredDecision, as_of: date, reply_window_days: int) -> LabelKind:
    if decision.action == Action.DISMISSED:
        return DISMISSALS.get(decision.reason_code or "", LabelKind.NONE)
    if decision.action == Action.AUTO_SENT:
        return _touch_outcome(decision, as_of, reply_window_days)
    return CARD_ACTIONS.get(decision.action, LabelKind.NONE)


def _touch_outcome(decision: StoredDecision, as_of: date, reply_window_days: int) -> LabelKind:
    window = timedelta(days=reply_window_days)
    replied = decision.replied_at
    if replied is not None and replied.date() <= as_of and replied - decision.decided_at <= window:
        return LabelKind.ANSWERED
    if (as_of - decision.decided_at.date()).days >= reply_window_days:
        return LabelKind.IGNORED
    return LabelKind.AWAITING_REPLY
