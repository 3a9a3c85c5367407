"""Two teams for `/health` and the per-role App Home tests.

Maya (MANAGER) leads Ana (OWNER): Acme Corp (red, 60k, a card waiting 5 hours that climbed to
Maya), Acme Labs (green, 250k, a card snoozed for a day; up 20 points in 7 days), Acme Works
(vetoed: always human). Olga (OTHER_MANAGER) leads Ben (OTHER_CSM): Globex Retail (yellow, 90k,
a card waiting since the day before). Ana dismissed a card on Acme Corp yesterday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from storage.db import transaction
from storage.enums import CardState, Rung, SnoozeMode
from storage.models import EscalationCard, HealthSnapshot
from storage.repositories import cards
from tests.conftest import Database
from tests.support import factories
from tests.support.factories import AS_OF, NOW, OTHER_CSM, OWNER


@dataclass(frozen=True)
class TeamWorld:
    climbed: int  # Acme Corp's card, on Maya's rung
    snoozed: int  # Acme Labs' card, back tomorrow
    globex: int  # Ben's card


def _snapshot(account_id: str, day_offset: int, score: int, band: str) -> HealthSnapshot:
    return HealthSnapshot(
        account_id=account_id, as_of=AS_OF - timedelta(days=day_offset), score=score, band=band,
        confidence=0.9, factors={}, explanation=f"{band} ({score})",
    )  # fmt: skip


def seed_teams(db: Database) -> TeamWorld:
    """On top of slack_env's people and Acme Corp (ACC-1)."""
    with transaction(db.session_factory) as session:
        factories.add_account(session, "ACC-2", "Acme Labs", arr=250000.0)
        factories.add_account(session, "ACC-3", "Globex Retail", arr=90000.0, owner_slack_id=OTHER_CSM)
        works = factories.add_account(session, "ACC-4", "Acme Works", arr=30000.0)
        works.always_human, works.always_human_by = True, OWNER
        session.add_all([_snapshot("ACC-2", 7, 60, "yellow"), _snapshot("ACC-4", 0, 75, "green")])
    # A card decided yesterday (a day earlier, so its signal is its own).
    old = factories.add_card(db.session_factory, as_of=AS_OF - timedelta(days=1), now=NOW - timedelta(days=1))
    with transaction(db.session_factory) as session:
        assert cards.decide(session, card_id=old.card_id, new_state=CardState.DISMISSED, actor=OWNER,
                            now=NOW - timedelta(hours=20))  # fmt: skip
    climbed = factories.add_card(db.session_factory, now=NOW - timedelta(hours=5)).card_id
    labs = factories.add_card(db.session_factory, account_id="ACC-2", now=NOW - timedelta(hours=30)).card_id
    globex = factories.add_card(db.session_factory, account_id="ACC-3", recipient=OTHER_CSM,
                                now=NOW - timedelta(hours=26)).card_id  # fmt: skip
    with transaction(db.session_factory) as session:
        # add_card scores each account red 48 on AS_OF: give Labs and Globex their own bands.
        session.execute(update(HealthSnapshot).where(HealthSnapshot.account_id == "ACC-2",
                        HealthSnapshot.as_of == AS_OF).values(score=80, band="green"))  # fmt: skip
        session.execute(update(HealthSnapshot).where(HealthSnapshot.account_id == "ACC-3",
                        HealthSnapshot.as_of == AS_OF).values(score=66, band="yellow"))  # fmt: skip
        session.execute(update(EscalationCard).where(EscalationCard.id == climbed).values(
            rung=Rung.MANAGER.value, climbed_at=NOW - timedelta(hours=1)))  # fmt: skip
        session.execute(update(EscalationCard).where(EscalationCard.id == labs).values(
            snoozed_until=NOW + timedelta(days=1), snooze_mode=SnoozeMode.ONE_DAY.value, snoozed_by=OWNER,
            snooze_score=80))  # fmt: skip
    return TeamWorld(climbed=climbed, snoozed=labs, globex=globex)
