"""The bulk scoring pass (GROUP BY queries + numpy) gives exactly the scores of the per-account
path (facts walked in Python), on both backends, for every account of a seeded book."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from scoring.config import load_default_config
from scoring.features import table_from_facts
from scoring.health import score_book, score_table
from scoring.types import HealthResult
from storage.db import transaction
from storage.repositories import snapshots
from storage.repositories.facts import load_account_facts
from storage.repositories.feature_table import load_feature_table, load_prior_scores, score_whole_book
from storage.synthetic import generate_book
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
CONFIG = load_default_config()


def _comparable(result: HealthResult) -> tuple[object, ...]:
    factors = tuple(
        (f.name, round(f.score, 6), round(f.weight, 6), f.detail, f.data_points) for f in result.factors
    )
    risk = None if result.renewal_risk is None else round(result.renewal_risk, 6)
    return (
        result.score, result.band, result.confidence, factors, result.explanation, result.notes,
        result.trend, result.expansion_readiness, risk, result.points,
    )  # fmt: skip


def _bulk(db: Database, as_of: date) -> list[HealthResult]:
    """The pass the cycle runs: daily usage read on a second connection, concurrently."""
    return score_whole_book(db.session_factory, as_of=as_of, config=CONFIG)


def _bulk_one_session(db: Database, as_of: date) -> list[HealthResult]:
    with db.session_factory() as session:
        table = load_feature_table(session, as_of=as_of, config=CONFIG)
        prior = load_prior_scores(session, account_ids=table.account_ids, as_of=as_of)
    return score_table(table, CONFIG, prior_scores=prior)


def _per_account(db: Database, as_of: date) -> list[HealthResult]:
    with db.session_factory() as session:
        facts = load_account_facts(session, as_of=as_of)
    return score_book(facts, as_of=as_of, config=CONFIG)


def test_bulk_and_per_account_scoring_agree_on_every_account(db: Database) -> None:
    generate_book(db.session_factory, accounts=150, seed=11, as_of=AS_OF)
    # Earlier snapshots, so the trends have something to compare with.
    for days in (7, 30, 92):
        earlier = AS_OF - timedelta(days=days)
        with transaction(db.session_factory) as session:
            snapshots.save_snapshots(session, results=_per_account(db, earlier), config_version=1)

    bulk, reference = _bulk(db, AS_OF), _per_account(db, AS_OF)

    assert [r.account_id for r in bulk] == [r.account_id for r in reference]
    mismatched = [
        (a.account_id, _comparable(a), _comparable(b))
        for a, b in zip(bulk, reference, strict=True)
        if _comparable(a) != _comparable(b)
    ]
    assert not mismatched, mismatched[:3]
    assert [_comparable(r) for r in _bulk_one_session(db, AS_OF)] == [_comparable(r) for r in bulk]
    # The book exercises every part of the comparison, so agreement is not vacuous.
    assert {len(r.factors) for r in bulk} >= {3, 4}
    assert sum(bool(r.trend) for r in bulk) == len(bulk)
    assert any(r.renewal_risk is not None for r in bulk)
    assert any(r.expansion_readiness is not None for r in bulk)
    assert any(any("tone" in f.detail for f in r.factors) for r in bulk)
    assert any("migration" in " ".join(r.notes) for r in bulk)


def test_bulk_and_per_account_tables_hold_the_same_per_feature_uses(db: Database) -> None:
    generate_book(db.session_factory, accounts=80, seed=5, as_of=AS_OF)
    later = AS_OF + timedelta(days=20)  # the seeded feature rows then straddle both windows
    with db.session_factory() as session:
        bulk = load_feature_table(session, as_of=later, config=CONFIG)
        facts = load_account_facts(session, as_of=later)
    walked = table_from_facts(facts, as_of=later, config=CONFIG)
    assert bulk.account_ids == walked.account_ids
    assert bulk.feature_names == walked.feature_names and len(bulk.feature_names) >= 3
    assert np.array_equal(bulk.feature_uses, walked.feature_uses)
    assert np.array_equal(bulk.feature_base_uses, walked.feature_base_uses)
    assert bulk.feature_uses.sum() > 0 and bulk.feature_base_uses.sum() > 0


def test_bulk_scoring_of_an_empty_book_is_empty(db: Database) -> None:
    assert _bulk(db, AS_OF) == []


def test_the_bulk_pass_runs_the_same_few_queries_whatever_the_book_size(db: Database) -> None:
    from tests.integration.test_storage_facts_bulk import selects_run

    def queries_for(accounts: int) -> int:
        generate_book(db.session_factory, accounts=accounts, seed=3, as_of=AS_OF, replace=True)
        with selects_run(db.engine) as seen:
            assert len(_bulk(db, AS_OF)) == accounts
        return len(seen)

    # One aggregate per table (on SQLite, one per usage window), never one per account; the
    # linked channels are one query more (none linked here: four when some are).
    assert queries_for(40) == queries_for(160) <= 15
