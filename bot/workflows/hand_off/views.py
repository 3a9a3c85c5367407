"""What a hand-off packet shows, read from storage once so its builder stays pure.

The timeline covers the last `TIMELINE_DAYS` days, newest first: touches Tandem sent, the
customer's replies, tickets opened, context events. Open commitments are what the account is
owed or was promised and is not done yet:
- the renewal, when it falls within `HORIZON_DAYS`;
- onboarding milestones not completed that are overdue or due within `HORIZON_DAYS`;
- messages to the customer still queued in the outbox (an automated touch in its hold window,
  or an approved draft not sent yet);
- tickets not closed.
Customer-written text (ticket subjects, context notes, milestone names, email subjects) is
carried as `quoted` and escaped by the builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.talking_points import talking_points
from storage.models import Account, Draft, EscalationCard
from storage.repositories import timeline

TIMELINE_DAYS = 90
HORIZON_DAYS = 90
CHANNEL_WORDS = {"email": "Email", "slack": "Shared-channel message", "record": "Touch (recorded)"}
REPLY_WORDS = {
    "email_replied": "The customer replied by email",
    "outreach_replied": "The customer replied to Tandem's message",
}


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # touch | reply | ticket | context
    text: str  # our words
    quoted: str = ""  # customer-written text, shown escaped in quotes


@dataclass(frozen=True)
class Commitment:
    kind: str  # renewal | milestone | queued | ticket
    text: str
    quoted: str = ""
    day: date | None = None  # a renewal's or milestone's date
    at: datetime | None = None  # when a queued message goes out, when a ticket was opened
    overdue: bool = False


@dataclass(frozen=True)
class PacketView:
    card_id: int
    account_id: str
    account_name: str
    taken_by: str
    taken_at: datetime
    since: date  # the timeline's first day
    timeline: tuple[TimelineItem, ...]
    timeline_total: int  # items in the window, shown or not
    talking_points: tuple[str, ...]
    commitments: tuple[Commitment, ...]
    commitments_total: int
    held: bool  # the account is still held (False: handed back before the packet was posted)
    hand_back_days: int  # a hold ends by itself after this many days (attention.hand_back_days)


def load_packet_view(
    session: Session, *, card: EscalationCard, account: Account, now: datetime, hand_back_days: int
) -> PacketView:
    since_moment = now - timedelta(days=TIMELINE_DAYS)
    items, total = _timeline(session, account.account_id, since_moment)
    commitments, owed = _commitments(session, account, now)
    draft = session.get(Draft, card.draft_id) if card.draft_id else None
    return PacketView(
        card_id=card.id,
        account_id=account.account_id,
        account_name=account.name,
        taken_by=card.decided_by or account.human_handled_by or "",
        taken_at=card.decided_at or now,
        since=since_moment.date(),
        timeline=tuple(items),
        timeline_total=total,
        talking_points=tuple(talking_points(draft.body)) if draft is not None else (),
        commitments=tuple(commitments),
        commitments_total=owed,
        held=account.human_handled_by is not None,
        hand_back_days=hand_back_days,
    )


def _timeline(session: Session, account_id: str, since: datetime) -> tuple[list[TimelineItem], int]:
    touches = timeline.sent_touches(session, account_id=account_id, since=since)
    replies = timeline.replies(session, account_id=account_id, since=since)
    tickets = timeline.tickets_opened(session, account_id=account_id, since=since)
    events = timeline.context_events(session, account_id=account_id, since=since)
    items = [
        TimelineItem(
            m.sent_at or m.created_at, "touch", f"{CHANNEL_WORDS.get(m.channel, m.channel)} sent", m.subject
        )
        for m in touches.rows
    ]
    items += [
        TimelineItem(e.at, "reply", REPLY_WORDS.get(e.kind, "The customer replied")) for e in replies.rows
    ]
    for t in tickets.rows:
        closed = f", closed {t.closed_at.date().isoformat()}" if t.closed_at else ", still open"
        items.append(TimelineItem(t.opened_at, "ticket", f"Ticket {t.ticket_id} opened ({t.severity}{closed})",
                                  t.subject))  # fmt: skip
    for c in events.rows:
        ended = f", until {c.ends_at.date().isoformat()}" if c.ends_at else ", ongoing"
        words = c.kind.replace("_", " ").capitalize()
        items.append(TimelineItem(c.starts_at, "context", f"{words}{ended}", c.note))
    items.sort(key=lambda item: item.at, reverse=True)
    return items, touches.total + replies.total + tickets.total + events.total


def _commitments(session: Session, account: Account, now: datetime) -> tuple[list[Commitment], int]:
    today = now.date()
    horizon = today + timedelta(days=HORIZON_DAYS)
    owed: list[Commitment] = []
    if account.renewal_date is not None and today <= account.renewal_date <= horizon:
        days = (account.renewal_date - today).days
        owed.append(Commitment("renewal", f"Renewal in {days} days", day=account.renewal_date))
    milestones = timeline.open_milestones(session, account_id=account.account_id, due_by=horizon)
    owed += [
        Commitment("milestone", "Onboarding milestone", m.step, day=m.due_date, overdue=m.due_date < today)
        for m in milestones.rows
    ]
    queued = timeline.queued_touches(session, account_id=account.account_id)
    for m in queued.rows:
        words = f"{CHANNEL_WORDS.get(m.channel, m.channel)} queued to the customer"
        owed.append(Commitment("queued", words, m.subject, at=max(m.send_after, now)))
    tickets = timeline.open_tickets(session, account_id=account.account_id)
    owed += [
        Commitment("ticket", f"Ticket {t.ticket_id} open ({t.severity})", t.subject, at=t.opened_at)
        for t in tickets.rows
    ]
    extra = sum(c.total - len(c.rows) for c in (milestones, queued, tickets))
    return owed, len(owed) + extra
