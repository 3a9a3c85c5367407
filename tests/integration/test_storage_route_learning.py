"""What route and phrase proposals read: decisions in their cells and ticket texts, as known on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot.tuning.route_learning import route_and_phrase_proposals
from scoring.config import load_default_config
from storage.db import transaction
from storage.models import ContextEvent, OverrideRecord, RenewalOutcome, Ticket
from storage.repositories.facts import load_account_facts
from storage.repositories.route_learning import load_phrase_texts, load_route_decisions
from tests.conftest import Database
from tests.support import factories
from tests.support.factories import AS_OF, NOW, OWNER


def _day(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _logged(
    session: Session,
    account_id: str,
    action: str,
    *,
    cycle_day: date | None,
    at: datetime | None = None,
    **extra: object,
) -> None:
    session.add(
        OverrideRecord(
            account_id=account_id, trigger="health_low", proposed_route=str(extra.pop("route", "assist")),
            proposed_draft="Hello", action=action, actor_slack_id=OWNER,
            at=at or _day(cycle_day or AS_OF, 15), seconds_to_decide=1.0, cycle_day=cycle_day, **extra,
        )
    )  # fmt: skip


def _ticket(session: Session, ticket_id: str, account_id: str, opened: date, text: str) -> None:
    session.add(
        Ticket(
            ticket_id=ticket_id, account_id=account_id, opened_at=_day(opened), closed_at=None, severity="normal",
            subject=ticket_id, body=text,
        )
    )  # fmt: skip


def _book(session: Session) -> None:
    factories.add_people(session)
    factories.add_account(session, segment="enterprise").industry = " Healthcare "
    factories.add_account(session, "ACC-2", "Globex", segment="smb")  # no industry
    session.add_all(
        [
            ContextEvent(
                account_id="ACC-1", kind="compliance_review",
                starts_at=_day(AS_OF - timedelta(days=10)), ends_at=_day(AS_OF - timedelta(days=2)),
            ),
            ContextEvent(account_id="ACC-1", kind="public_complaint", starts_at=_day(AS_OF - timedelta(days=6))),
            ContextEvent(account_id="ACC-1", kind="merger", starts_at=_day(AS_OF + timedelta(days=1))),  # later
        ]
    )  # fmt: skip


def test_decisions_carry_their_cell_as_known_on_the_day(db: Database) -> None:
    with transaction(db.session_factory) as session:
        _book(session)
        _logged(session, "ACC-1", "taken_over", cycle_day=AS_OF - timedelta(days=5))
        _logged(
            session,
            "ACC-1",
            "edited",
            cycle_day=AS_OF - timedelta(days=8),
            edit_size=0.6,
            segment="mid_market",
        )
        _logged(session, "ACC-1", "approved", cycle_day=AS_OF)  # the review has ended
        _logged(session, "ACC-2", "cancelled", cycle_day=AS_OF - timedelta(days=1), route="auto")
        _logged(session, "ACC-1", "vetoed", cycle_day=None, at=NOW)  # not a card decision
        _logged(session, "ACC-1", "approved", cycle_day=AS_OF - timedelta(days=40))  # before the window
        _logged(session, "ACC-1", "approved", cycle_day=AS_OF, at=NOW + timedelta(days=2))  # decided later
    with db.session_factory() as session:
        found = load_route_decisions(session, since=AS_OF - timedelta(days=30), as_of=AS_OF)
    assert [(d.action, d.segment, d.industry, d.contexts, d.route) for d in found] == [
        ("taken_over", "enterprise", "healthcare", ("compliance_review", "public_complaint"), "assist"),
        ("edited", "mid_market", "healthcare", ("compliance_review",), "assist"),  # segment as stored then
        ("approved", "enterprise", "healthcare", ("public_complaint",), "assist"),
        ("cancelled", "smb", None, (), "auto"),
    ]
    assert found[0].day == AS_OF - timedelta(days=5) and found[1].edit_size == 0.6


def test_tickets_before_a_take_over_or_a_churn_are_the_positive_texts(db: Database) -> None:
    since = AS_OF - timedelta(days=60)
    with transaction(db.session_factory) as session:
        _book(session)
        _logged(session, "ACC-1", "taken_over", cycle_day=AS_OF - timedelta(days=5))
        session.add(
            RenewalOutcome(account_id="ACC-2", renewal_date=AS_OF - timedelta(days=1), outcome="churned")
        )
        # T-1 before the take-over, T-4 before the churn; T-2 too long before, T-3 after it.
        _ticket(session, "T-1", "ACC-1", AS_OF - timedelta(days=20), "looking at a competitor")
        _ticket(session, "T-2", "ACC-1", AS_OF - timedelta(days=40), "old question")
        _ticket(session, "T-3", "ACC-1", AS_OF - timedelta(days=3), "after the take-over")
        _ticket(session, "T-4", "ACC-2", AS_OF - timedelta(days=10), "we will cancel")
        _ticket(session, "T-5", "ACC-2", AS_OF - timedelta(days=90), "before the window")
        _ticket(session, "T-6", "ACC-2", AS_OF + timedelta(days=1), "opened later")
    with db.session_factory() as session:
        positive, baseline = load_phrase_texts(session, since=since, as_of=AS_OF, lead_days=30)
        proposals = route_and_phrase_proposals(session, as_of=AS_OF, config=load_default_config())
        facts = load_account_facts(session, as_of=AS_OF, account_ids=["ACC-1", "ACC-2"])
    assert positive == ["T-1\nlooking at a competitor", "T-4\nwe will cancel"]
    assert baseline == ["T-2\nold question", "T-3\nafter the take-over"]
    assert proposals == []  # far too little to propose anything
    assert [f.industry for f in facts] == ["healthcare", None]  # routing rules match it lowercase
