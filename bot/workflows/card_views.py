"""CardView: everything a card shows, read from storage once, so builders stay pure.

The view also carries the one policy both the card and the decisions need: whether this card
proposes a message Tandem would send (Approve / Edit), or only asks a person to act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.citation import Citation
from bot.conversations.citations import citations
from bot.trends import TOLERANCE_DAYS, TREND_WINDOWS, score_trend
from scoring.routing import CRISIS_CODE
from scoring.types import Route
from storage.enums import CardState
from storage.models import Account, Draft, EscalationCard, HealthSnapshot, Signal, User
from storage.repositories import card_batches, signals, snapshots

# How far back a card's trend reads scores (the longest window and its tolerance).
TREND_HISTORY_DAYS = max(TREND_WINDOWS) + TOLERANCE_DAYS

# Routes whose card proposes an automated send. `auto` reaches a card only when the cycle
# demoted an automated touch to a human review (the drafter doubted its own draft).
SENDING_ROUTES = frozenset({Route.ASSIST, Route.AUTO})


@dataclass(frozen=True)
class CardView:
    card_id: int
    state: str
    account_id: str
    account_name: str
    segment: str
    arr: float
    score: int | None
    band: str | None
    trigger: str
    route: str
    why: str
    reasons: tuple[str, ...]
    also_fired: tuple[str, ...]
    draft_subject: str | None
    draft_body: str | None
    draft_author: str | None
    needs_review: str | None
    recipient_slack_id: str
    decided_by: str | None
    decided_at: datetime | None
    final_text: str | None
    explanation: str = ""  # the health snapshot's "why is this account red?", when scored
    dismiss_reason: str | None = None
    trend: tuple[tuple[int, int], ...] = ()  # (days, change in points) for 7 / 30 / 90 days
    evidence: tuple[str, ...] = ()  # the top contributors' evidence (tickets, weeks of usage)
    draft_kind: str | None = None  # check_in, renewal_reminder, ..., expansion_note (internal, never sent)
    # Slack ids Tandem itself mentions in the why, the reasons or a hand-off note (the account
    # executive, the sales channel, who flagged it): rendered as mentions, all else escaped.
    mentions: tuple[str, ...] = ()
    crisis: str = ""  # the crisis that paused automation, in a sentence; shown first on the card
    # Nothing waits unseen (bot.workflows.card_messages): where the card has climbed or that it
    # sleeps (mrkdwn lines), whether it is snoozed, and what this copy says above the card.
    attention: tuple[str, ...] = ()
    asleep: bool = False
    note: str = ""
    # Customer messages the signal cites (a channel's words): permalink and a short fenced excerpt.
    citations: tuple[Citation, ...] = ()

    @property
    def is_pending(self) -> bool:
        return self.state == CardState.PENDING

    @property
    def proposes_send(self) -> bool:
        """Approve and Edit exist only when there is a draft and the route allows a send."""
        return self.draft_body is not None and self.route in SENDING_ROUTES


def load_card_view(session: Session, *, card_id: int) -> CardView | None:
    card = session.get(EscalationCard, card_id)
    if card is None:
        return None
    # An audit card has no signal; it has its own view (bot.workflows.audit.view).
    signal = session.get(Signal, card.signal_id) if card.signal_id is not None else None
    account = session.get(Account, card.account_id)
    if signal is None or account is None:
        return None
    draft = session.get(Draft, card.draft_id) if card.draft_id else None
    snapshot = session.get(HealthSnapshot, (card.account_id, signal.as_of))
    others = [trigger for signal_id, trigger in _day_signals(session, card.account_id, signal.as_of)
              if signal_id != signal.id]  # fmt: skip
    sentences = signal.reasons.get("sentences", []) if isinstance(signal.reasons, dict) else []
    codes = signal.reasons.get("codes", []) if isinstance(signal.reasons, dict) else []
    crisis = next((str(s) for c, s in zip(codes, sentences, strict=False) if c == CRISIS_CODE), "")
    evidence = signal.details.get("evidence", []) if isinstance(signal.details, dict) else []
    mentions = signal.details.get("mentions", []) if isinstance(signal.details, dict) else []
    return CardView(
        card_id=card.id,
        state=card.state,
        account_id=account.account_id,
        account_name=account.name,
        segment=account.segment,
        arr=account.arr,
        score=snapshot.score if snapshot else None,
        band=snapshot.band if snapshot else None,
        trigger=signal.trigger,
        route=signal.route,
        why=signal.summary,
        reasons=tuple(str(s) for s in sentences),
        also_fired=tuple(sorted(others)),
        draft_subject=draft.subject if draft else None,
        draft_body=draft.body if draft else None,
        draft_author=draft.author if draft else None,
        needs_review=draft.needs_review if draft else None,
        recipient_slack_id=card.recipient_slack_id,
        decided_by=card.decided_by,
        decided_at=card.decided_at,
        final_text=card.final_text,
        evidence=tuple(str(line) for line in evidence),
        dismiss_reason=card.dismiss_reason,
        trend=_trend(session, card.account_id, signal.as_of, snapshot.score if snapshot else None),
        explanation=snapshot.explanation if snapshot else "",
        draft_kind=draft.kind if draft else None,
        mentions=tuple(str(m) for m in mentions) if isinstance(mentions, list) else (),
        crisis=crisis,
        citations=citations(session, signal.details if isinstance(signal.details, dict) else None),
    )


def manager_slack_id(session: Session, *, slack_id: str) -> str | None:
    user = session.get(User, slack_id)
    return user.manager_slack_id if user else None


def _day_signals(session: Session, account_id: str, as_of: date) -> list[tuple[int, str]]:
    """The account's signals of the day as (id, trigger): from the batch's prefetch when the
    session rendering it has one (card_batches), else one query."""
    prefetch = card_batches.prefetched(session)
    if prefetch is not None and (account_id, as_of) in prefetch.day_signals:
        return prefetch.day_signals[(account_id, as_of)]
    return [(s.id, s.trigger) for s in signals.signals_on(session, account_id=account_id, as_of=as_of)]


def _trend(session: Session, account_id: str, as_of: date, score: int | None) -> tuple[tuple[int, int], ...]:
    if score is None:
        return ()
    since = as_of - timedelta(days=TREND_HISTORY_DAYS)
    prefetch = card_batches.prefetched(session)
    if (
        prefetch is not None
        and prefetch.history_since is not None
        and prefetch.history_since <= since
        and account_id in prefetch.score_histories
    ):
        history = [(day, points) for day, points in prefetch.score_histories[account_id] if day >= since]
    else:
        history = snapshots.score_history(session, account_id=account_id, since=since)
    return score_trend(history, as_of=as_of, score=score)
