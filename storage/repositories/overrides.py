"""The override log: one row per decision on a card or an automated touch, for ops to review.

Each row also keeps what learning needs, read at decision time: the signal and its cycle day,
the account's segment, the trigger's value / threshold / margin, the account's other triggers
that fired the same day, the card's propensity and, for an edit, how much of the draft changed.
An audit card's answer is a row too (action worth_a_look or not_needed, proposed_route
"audit"); its propensity is the card's, and `audit_answers` reads the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.learning.edits import edit_size
from storage.enums import CardKind
from storage.models import (
    Account,
    AccountException,
    Draft,
    EscalationCard,
    OutboxMessage,
    OverrideRecord,
    Signal,
)

FIRED = 1.0  # the propensity of a card or touch Tandem's triggers fired (an audit card has less)

AUDIT_ROUTE = "audit"  # an audit card's proposed_route: Tandem proposed nothing, it asked

SYSTEM_ACTOR = "tandem"  # who lapses an exception: the cycle


def record_override(
    session: Session,
    *,
    card: EscalationCard,
    signal: Signal,
    draft: Draft | None,
    action: str,
    actor: str,
    now: datetime,
    edited_text: str | None = None,
    reason: str | None = None,
) -> OverrideRecord:
    shown_at = card.posted_at or card.created_at
    proposed = draft.body if draft else ""
    record = OverrideRecord(
        card_id=card.id,
        account_id=card.account_id,
        trigger=signal.trigger,
        proposed_route=signal.route,
        proposed_draft=proposed,
        action=action,
        edited_text=edited_text,
        reason=reason,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, (now - shown_at).total_seconds()),
        config_version=signal.config_version,
        reason_code=card.dismiss_reason,
        propensity=card_propensity(card),
        edit_size=edit_size(proposed, edited_text) if edited_text is not None else None,
        **learning_context(session, signal=signal, account_id=card.account_id),
    )
    session.add(record)
    session.flush()
    return record


def record_automated(
    session: Session,
    *,
    message: OutboxMessage,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> OverrideRecord:
    """An automated touch was sent after its hold window, or a CSM cancelled it."""
    signal = session.get(Signal, message.signal_id) if message.signal_id else None
    record = OverrideRecord(
        outbox_id=message.id,
        account_id=message.account_id,
        trigger=signal.trigger if signal else "",
        proposed_route=signal.route if signal else "auto",
        proposed_draft=message.body,
        action=action,
        reason=reason,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, (now - message.created_at).total_seconds()),
        config_version=signal.config_version if signal else None,
        propensity=FIRED,
        **learning_context(session, signal=signal, account_id=message.account_id),
    )
    session.add(record)
    session.flush()
    return record


def card_propensity(card: EscalationCard) -> float:
    """The chance the card was shown: its own `propensity` once audit cards record one, else 1."""
    stored = getattr(card, "propensity", None)
    return float(stored) if isinstance(stored, int | float) else FIRED


def learning_context(session: Session, *, signal: Signal | None, account_id: str) -> dict[str, Any]:
    """The override-log columns read from the signal and the account at decision time."""
    account = session.get(Account, account_id)
    context: dict[str, Any] = {"segment": account.segment if account else None}
    if signal is None:
        return context
    details = signal.details if isinstance(signal.details, dict) else {}
    others = session.scalars(
        select(Signal.trigger).where(
            Signal.account_id == signal.account_id,
            Signal.as_of == signal.as_of,
            Signal.trigger != signal.trigger,
        )
    )
    return context | {
        "signal_id": signal.id,
        "cycle_day": signal.as_of,
        "fired_value": _number(details.get("value")),  # scoring.triggers.crossing
        "threshold": _number(details.get("threshold")),
        "margin": _number(details.get("margin")),
        "co_firing": sorted(set(others)),
    }


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def record_audit_answer(
    session: Session, *, card: EscalationCard, action: str, actor: str, now: datetime
) -> OverrideRecord:
    """An audit card was answered: its near miss's trigger and configuration version."""
    near_miss = card.audit or {}
    version = near_miss.get("config_version")
    record = OverrideRecord(
        card_id=card.id,
        account_id=card.account_id,
        trigger=str(near_miss.get("trigger", "")),
        proposed_route=AUDIT_ROUTE,
        proposed_draft="",
        action=action,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, (now - (card.posted_at or card.created_at)).total_seconds()),
        config_version=version if isinstance(version, int) else None,
        propensity=card_propensity(card),
        **_audit_context(session, card=card, near_miss=near_miss),
    )
    session.add(record)
    session.flush()
    return record


@dataclass(frozen=True)
class AuditAnswer:
    """An audit card's answer with what weighs it: an answer stands for 1/propensity near misses."""

    record: OverrideRecord
    propensity: float
    near_miss: dict[str, Any]  # the card's audit body: trigger, value, threshold, as_of, week, ...


def audit_answers(session: Session, *, since: datetime | None = None) -> list[AuditAnswer]:
    query = (
        select(OverrideRecord, EscalationCard.propensity, EscalationCard.audit)
        .join(EscalationCard, EscalationCard.id == OverrideRecord.card_id)
        .where(EscalationCard.kind == CardKind.AUDIT.value)
        .order_by(OverrideRecord.at, OverrideRecord.id)
    )
    if since is not None:
        query = query.where(OverrideRecord.at >= since)
    return [
        AuditAnswer(record, float(propensity) if propensity is not None else 1.0, dict(audit or {}))
        for record, propensity, audit in session.execute(query)
    ]


def _audit_context(session: Session, *, card: EscalationCard, near_miss: dict[str, Any]) -> dict[str, Any]:
    """An audit answer's learning columns: the near miss stands in for the signal it nearly was."""
    day = near_miss.get("as_of")
    return learning_context(session, signal=None, account_id=card.account_id) | {
        "cycle_day": date.fromisoformat(day) if isinstance(day, str) else None,
        "fired_value": _number(near_miss.get("value")),
        "threshold": _number(near_miss.get("threshold")),
    }


def record_exception(
    session: Session,
    *,
    exception: AccountException,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    seconds_to_decide: float = 0.0,
) -> OverrideRecord:
    """An account exception set, declined, lifted, lapsed or expired (`exception_<what>`). No
    card_id: the row is about the account's trigger, not a decision on one card (the card an
    exception came from is on the exception)."""
    return record_account_action(
        session, account_id=exception.account_id, action=action, actor=actor, now=now, reason=reason,
        trigger=exception.trigger, proposed_route="hold",  # what an exception does to its trigger
        seconds_to_decide=seconds_to_decide,
    )  # fmt: skip


HAND_BACK_ACTIONS = ("handed_back", "veto_lifted")  # what ends a take-over's hold


def record_account_action(
    session: Session,
    *,
    account_id: str,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    trigger: str = "",
    proposed_route: str = "",
    seconds_to_decide: float = 0.0,
) -> OverrideRecord:
    """A step on an account as a whole, not a decision on one card: a veto set or lifted, a
    take-over's hold handed back (by a person, or by Tandem when it ran out), kept, or its
    reminder sent, an account exception's step (with its trigger). No card_id."""
    record = OverrideRecord(
        account_id=account_id,
        trigger=trigger,
        proposed_route=proposed_route,
        proposed_draft="",
        action=action,
        reason=reason,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, seconds_to_decide),
        **learning_context(session, signal=None, account_id=account_id),
    )
    session.add(record)
    session.flush()
    return record


def record_hand_off(
    session: Session,
    *,
    account_id: str,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    seconds_to_decide: float = 0.0,
) -> OverrideRecord:
    """A take-over's hold: its route is "human" (a person handles the account meanwhile)."""
    return record_account_action(
        session, account_id=account_id, action=action, actor=actor, now=now, reason=reason,
        proposed_route="human", seconds_to_decide=seconds_to_decide,
    )  # fmt: skip


def last_hand_back(session: Session, *, account_id: str) -> OverrideRecord | None:
    """The latest row that ended a hold on the account (a hand-back, or a lifted veto)."""
    o = OverrideRecord
    return session.scalar(
        select(o)
        .where(o.account_id == account_id, o.action.in_(HAND_BACK_ACTIONS))
        .order_by(o.at.desc(), o.id.desc())
        .limit(1)
    )


def list_overrides(session: Session, *, since: datetime | None = None) -> list[OverrideRecord]:
    query = select(OverrideRecord).order_by(OverrideRecord.at, OverrideRecord.id)
    if since is not None:
        query = query.where(OverrideRecord.at >= since)
    return list(session.scalars(query))
