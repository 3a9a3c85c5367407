"""The learning loader: decisions with their context, as known on a day, on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from scoring.learning.labels import label_for
from scoring.learning.types import LabelKind
from storage.db import transaction
from storage.models import EngagementEvent, OverrideRecord, RenewalOutcome
from storage.repositories import learning
from tests.conftest import Database
from tests.support import factories
from tests.support.factories import AS_OF, NOW, OWNER


def _logged(session: Session, action: str, *, at: datetime, cycle_day: date | None, **extra: object) -> None:
    session.add(
        OverrideRecord(
            account_id="ACC-1", trigger="renewal_reminder", proposed_route="auto", proposed_draft="Hello", action=action,
            actor_slack_id=OWNER, at=at, seconds_to_decide=0.0, cycle_day=cycle_day, **extra,
        )
    )  # fmt: skip


def test_automated_sends_get_the_first_reply_after_them_as_known_on_the_day(db: Database) -> None:
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        factories.add_account(session, segment="smb")
        _logged(session, "auto_sent", at=NOW, cycle_day=AS_OF)
        _logged(session, "auto_sent", at=NOW + timedelta(days=1), cycle_day=AS_OF + timedelta(days=1))
        _logged(session, "vetoed", at=NOW + timedelta(days=2), cycle_day=None)
        _logged(session, "auto_sent", at=NOW - timedelta(days=30), cycle_day=AS_OF - timedelta(days=30))
        _logged(session, "auto_sent", at=NOW + timedelta(days=5), cycle_day=AS_OF + timedelta(days=5))
        session.add_all(
            [
                EngagementEvent(account_id="ACC-1", at=NOW - timedelta(hours=1), kind="outreach_replied"),
                EngagementEvent(account_id="ACC-1", at=NOW + timedelta(days=3), kind="email_replied"),
                EngagementEvent(account_id="ACC-1", at=NOW + timedelta(days=3, hours=1), kind="meeting"),
            ]
        )
    with db.session_factory() as session:
        early = learning.load_decisions(session, since=AS_OF, as_of=AS_OF + timedelta(days=2))
        late = learning.load_decisions(session, since=AS_OF, as_of=AS_OF + timedelta(days=20))
    assert [d.action for d in early] == ["auto_sent", "auto_sent", "vetoed"]  # in the window, known by then
    assert [d.replied_at for d in early[:2]] == [None, None]  # the reply came on day 3
    assert all(d.segment == "smb" for d in early)  # the account's, for rows without one stored
    assert [d.replied_at for d in late[:2]] == [NOW + timedelta(days=3)] * 2
    assert late[-1].replied_at is None and late[-1].cycle_day == AS_OF + timedelta(days=5)
    kinds = [label_for(d, as_of=AS_OF + timedelta(days=20), reply_window_days=14).kind for d in late]
    assert kinds == [LabelKind.ANSWERED, LabelKind.ANSWERED, LabelKind.NONE, LabelKind.IGNORED]


def test_outcomes_and_csms_for_the_window(db: Database) -> None:
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        factories.add_account(session, segment="enterprise")
        factories.add_account(session, "ACC-2", "Globex", segment="smb")
        session.add_all(
            [
                RenewalOutcome(account_id="ACC-1", renewal_date=AS_OF, outcome="churned"),
                RenewalOutcome(account_id="ACC-2", renewal_date=AS_OF - timedelta(days=3), outcome="renewed"),
                RenewalOutcome(account_id="ACC-2", renewal_date=AS_OF + timedelta(days=3), outcome="renewed"),
            ]
        )
    with db.session_factory() as session:
        outcomes = learning.load_outcomes(session, since=AS_OF - timedelta(days=7), as_of=AS_OF)
        csms = learning.csm_ids(session)
    assert [(o.account_id, o.segment, o.churned) for o in outcomes] == [
        ("ACC-2", "smb", False),
        ("ACC-1", "enterprise", True),
    ]
    assert csms == sorted([factories.OWNER, factories.OTHER_CSM])
