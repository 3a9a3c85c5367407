"""The synthetic book through the real health score: the planted Red cases are unmistakably Red,
the migration reads as a data problem, and the ordinary book is mostly Green and Yellow."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from scoring.config import load_default_config
from scoring.health import score_account
from scoring.types import Band, HealthResult
from storage.db import make_engine, make_session_factory, upgrade
from storage.repositories.facts import load_account_facts
from storage.synthetic import PLANTED_CASES, generate_book
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
CLEARLY_RED = 55  # at least five points under the Red line (60), so weight tweaks do not flip it


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HealthResult]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('book') / 'book.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    generate_book(factory, accounts=300, seed=7, as_of=AS_OF)
    with factory() as session:
        facts = load_account_facts(session, as_of=AS_OF)
    engine.dispose()
    config = load_default_config()
    return {account.account_id: score_account(account, as_of=AS_OF, config=config) for account in facts}


@pytest.mark.parametrize("case", ["incident_renewal", "whale", "safe_to_automate"])
def test_planted_red_cases_are_clearly_red_and_usage_is_why(
    scored: dict[str, HealthResult], case: str
) -> None:
    result = scored[PLANTED_CASES[case]]
    usage = next(factor for factor in result.factors if factor.name == "usage")

    assert result.band is Band.RED and result.score <= CLEARLY_RED, result.explanation
    assert usage.score <= 20 and "usage" in result.explanation
    assert result.confidence == 1.0  # nothing about the data is doubtful


def test_the_migration_reads_as_a_data_problem(scored: dict[str, HealthResult]) -> None:
    result = scored[PLANTED_CASES["migration"]]

    assert result.confidence < 1.0
    assert any("migration" in note and "Moving to the EU instance" in note for note in result.notes)


def test_two_complexity_indicators_account_is_not_green(scored: dict[str, HealthResult]) -> None:
    assert scored[PLANTED_CASES["two_complexity"]].band is not Band.GREEN


def test_the_ordinary_book_is_mostly_green_and_yellow(scored: dict[str, HealthResult]) -> None:
    ordinary = [result for account_id, result in scored.items() if account_id not in PLANTED_CASES.values()]
    bands = Counter(result.band for result in ordinary)
    red_share = bands[Band.RED] / len(ordinary)

    assert 0.08 <= red_share <= 0.22, bands
    assert bands[Band.GREEN] > bands[Band.YELLOW] > 0


def test_the_db_fixture_book_scores_the_same_on_both_backends(db: Database) -> None:
    generate_book(db.session_factory, accounts=20, seed=7, as_of=AS_OF)
    with db.session_factory() as session:
        facts = load_account_facts(session, as_of=AS_OF, account_ids=list(PLANTED_CASES.values()))
    config = load_default_config()
    bands = {account.account_id: score_account(account, as_of=AS_OF, config=config).band for account in facts}

    assert bands[PLANTED_CASES["whale"]] is Band.RED
    assert bands[PLANTED_CASES["safe_to_automate"]] is Band.RED
    assert bands[PLANTED_CASES["incident_renewal"]] is Band.RED
