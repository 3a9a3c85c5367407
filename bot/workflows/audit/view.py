"""AuditCardView: everything an audit card shows, read from storage once, so its builder is pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from storage.enums import CardKind, CardState
from storage.models import Account, EscalationCard, HealthSnapshot


@dataclass(frozen=True)
class AuditCardView:
    card_id: int
    state: str
    account_id: str
    account_name: str
    segment: str
    arr: float
    trigger: str  # the threshold trigger it nearly fired
    summary: str  # "Health 63: health_low fires below 60."
    score: int | None
    band: str | None
    as_of: date | None  # the cycle day it was drawn on
    propensity: float
    recipient_slack_id: str
    decided_by: str | None
    decided_at: datetime | None
    explanation: str = ""  # the day's "why is this account where it is?"

    @property
    def is_pending(self) -> bool:
        return self.state == CardState.PENDING


def load_audit_view(session: Session, *, card_id: int) -> AuditCardView | None:
    """The audit card's view; None when it is not an audit card or its account is gone."""
    card = session.get(EscalationCard, card_id)
    if card is None or card.kind != CardKind.AUDIT:
        return None
    account = session.get(Account, card.account_id)
    if account is None:
        return None
    near_miss = card.audit or {}
    as_of = date.fromisoformat(str(near_miss["as_of"])) if near_miss.get("as_of") else None
    snapshot = session.get(HealthSnapshot, (card.account_id, as_of)) if as_of else None
    score = near_miss.get("score")
    return AuditCardView(
        card_id=card.id,
        state=card.state,
        account_id=account.account_id,
        account_name=account.name,
        segment=account.segment,
        arr=account.arr,
        trigger=str(near_miss.get("trigger", "")),
        summary=str(near_miss.get("summary", "")),
        score=snapshot.score if snapshot else score if isinstance(score, int) else None,
        band=snapshot.band if snapshot else None,
        as_of=as_of,
        propensity=card.propensity if card.propensity is not None else 1.0,
        recipient_slack_id=card.recipient_slack_id,
        decided_by=card.decided_by,
        decided_at=card.decided_at,
        explanation=snapshot.explanation if snapshot else "",
    )
