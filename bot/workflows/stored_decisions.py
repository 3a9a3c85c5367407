"""The cycle's stored decisions read back: what Tandem decided and did for an account on a day.

`explain` shows these rather than recomputing, so it tells what the cycle really did (the
circuit breaker and the card budget only exist over a whole run), and a card opened later is
drafted from the decision that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.enums import CardDelivery
from storage.models import Signal as SignalRow
from storage.repositories import cards, outbox, signals


def decision_from_row(signal: SignalRow) -> Decision:
    """The stored signal as scoring's Decision (for a draft written after the cycle)."""
    details = signal.details if isinstance(signal.details, dict) else {}
    reasons = signal.reasons if isinstance(signal.reasons, dict) else {}
    return Decision(
        Signal(signal.account_id, TriggerKey(signal.trigger), signal.summary, dict(details)),
        Route(signal.route),
        tuple(
            Reason(code, sentence)
            for code, sentence in zip(reasons.get("codes", []), reasons.get("sentences", []), strict=False)
        ),
        notify_manager=bool(details.get("notify_manager")),
        celebratory_tone_blocked=bool(details.get("celebratory_tone_blocked")),
    )


@dataclass(frozen=True)
class DayRecord:
    decisions: list[Decision]
    actions: list[str]  # "card pending in the DM of U0CSM001", "automated touch queued, sends 08:00 UTC"


def day_record(session: Session, *, account_id: str, as_of: date) -> DayRecord | None:
    """The decisions the cycle stored for the account on `as_of` and what came of them, or None."""
    rows = signals.signals_on(session, account_id=account_id, as_of=as_of)
    if not rows:
        return None
    ids = [row.id for row in rows]
    actions = []
    for card in cards.cards_for_signals(session, signal_ids=ids):
        if card.message_ts:
            where = f"posted to <@{card.recipient_slack_id}>'s DM"
        elif card.delivery == CardDelivery.DM.value:
            where = f"for <@{card.recipient_slack_id}>'s DM, not in Slack yet"
        else:
            where = f"waiting in <@{card.recipient_slack_id}>'s digest (over the day's card budget)"
        actions.append(
            f"card {where}" if card.state == "pending" else f"card {card.state} by {card.decided_by}"
        )
    for touch in outbox.for_signals(session, signal_ids=ids):
        if touch.state == "queued" and touch.visible_since is None:
            actions.append("automated touch queued: it waits for its CSM's digest to show it with Cancel")
        else:
            actions.append(f"automated touch {touch.state}, send after {touch.send_after:%Y-%m-%d %H:%M} UTC")
    return DayRecord([decision_from_row(row) for row in rows], actions)
