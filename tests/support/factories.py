"""Row factories for tests: a small book with one card ready to be clicked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import Account, HealthSnapshot, User
from storage.repositories import cards, drafts, signals

OWNER, OTHER_CSM, MANAGER, OTHER_MANAGER, OPS = "U0CSM001", "U0CSM002", "U0MGR001", "U0MGR002", "U0OPS001"
AS_OF = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_people(session: Session) -> None:
    session.add_all(
        [
            User(slack_id=MANAGER, name="Maya Patel", role="manager", timezone="UTC", digest_time="08:30"),
            User(
                slack_id=OTHER_MANAGER, name="Olga Novak", role="manager", timezone="UTC", digest_time="08:30"
            ),
            User(slack_id=OPS, name="Quinn Larsen", role="ops", timezone="UTC", digest_time="08:30"),
        ]
    )
    session.flush()
    session.add_all(
        [
            User(
                slack_id=OWNER,
                name="Ana Lima",
                role="csm",
                manager_slack_id=MANAGER,
                timezone="UTC",
                digest_time="08:30",
            ),
            User(
                slack_id=OTHER_CSM,
                name="Ben Okafor",
                role="csm",
                manager_slack_id=OTHER_MANAGER,
                timezone="UTC",
                digest_time="08:30",
            ),
        ]
    )
    session.flush()


def add_account(
    session: Session, account_id: str = "ACC-1", name: str = "Acme Corp", **extra: object
) -> Account:
    account = Account(
        account_id=account_id,
        name=name,
        segment=str(extra.pop("segment", "mid_market")),
        arr=float(extra.pop("arr", 60000.0)),  # type: ignore[arg-type]
        owner_slack_id=str(extra.pop("owner_slack_id", OWNER)),
        renewal_date=date(2026, 6, 30),
        contact_email=str(extra.pop("contact_email", "ops@acme.example")),
    )
    session.add(account)
    session.flush()
    return account


@dataclass(frozen=True)
class CardSetup:
    card_id: int
    account_id: str
    draft_body: str


DEFAULT_BODY = "Hi there,\n\nI noticed usage has dropped and would like to help.\n\nBest,\nAna"


def add_card(
    factory: sessionmaker[Session],
    *,
    account_id: str = "ACC-1",
    route: Route = Route.ASSIST,
    with_draft: bool = True,
    body: str = DEFAULT_BODY,
    author: str = "template",
    needs_review: str | None = None,
    recipient: str = OWNER,
    as_of: date = AS_OF,
    now: datetime = NOW,
) -> CardSetup:
    """A fired health_low signal on the account, its draft, and a pending card (on `as_of`,
    written at `now`: one a day at most)."""
    with transaction(factory) as session:
        session.add(
            HealthSnapshot(
                account_id=account_id,
                as_of=as_of,
                score=48,
                band="red",
                confidence=0.9,
                factors={},
                explanation="Red (48): 9 of 40 seats active (22%)",
            )
        )
        decision = Decision(
            Signal(account_id, TriggerKey.HEALTH_LOW, "Health Red (48): usage pulls the score down most"),
            route,
            (
                Reason(
                    "matrix_high_value", "Human with automation assist: mid market account, low complexity."
                ),
            ),
        )
        signal, _ = signals.record_signal(session, decision=decision, as_of=as_of, now=now, config_version=1)
        draft_id = None
        if with_draft:
            draft = drafts.save_draft(
                session, account_id=account_id, signal_id=signal.id, kind="check_in", subject="Checking in",
                body=body, author=author, prompt_version="check_in@1", facts_hash="x" * 64,
                prompt_tokens=None, completion_tokens=None, needs_review=needs_review, now=now,
            )  # fmt: skip
            draft_id = draft.id
        card = cards.create_card(
            session,
            signal_id=signal.id,
            account_id=account_id,
            draft_id=draft_id,
            recipient_slack_id=recipient,
            now=now,
        )
        return CardSetup(card.id, account_id, body)
