"""The daily cycle killed with SIGKILL at random moments, then rerun: nothing twice, nothing lost.

One book is seeded once and copied: a reference copy runs the day untouched; each other copy
has its cycle killed several times in a row, each at a delay drawn from a seeded RNG over the
span in which the reference run did its work (so a kill may land in a rerun that is finishing
the last one's work), then runs to completion.
Every copy must end with exactly the reference's rows (snapshots, signals, drafts, cards, Slack
deliveries, outbox, override log, trips) and Slack posts, each counted by natural key.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from scoring.config import TriggerConfig, config_to_dict, load_default_config
from storage.db import transaction
from storage.repositories import configs, snapshots
from storage.repositories.feature_table import score_whole_book
from storage.synthetic import generate_book
from tests.conftest import PG_URL_ENV
from tests.support.book_copies import book_copies
from tests.support.crash_trials import CycleRunner, KillPoint, cycle_seconds, day_state
from tests.support.slack_stand_in import running_stand_in

ACCOUNTS = 120
TRIALS = 10  # kills that land while the cycle runs
KILLS_PER_COPY = 5  # kills in a row on one copy (a rerun finishing a killed run's work is killed too)
MAX_DRAWS = 2 * TRIALS  # a kill drawn after a (shorter) rerun finished kills nothing: draw again
RNG_SEED = 16
# Today, as the cycle sees it: cards created by a killed run count against today's card budgets.
AS_OF = datetime.now(UTC).date()


def _seed(factory: sessionmaker[Session]) -> None:
    """The book, and the scores of 30 days ago that a daily run would have stored (health_drop
    compares with them; without them the cycle recomputes them, which takes longer)."""
    generate_book(factory, accounts=ACCOUNTS, seed=5, as_of=AS_OF)
    with transaction(factory) as session:
        row = configs.ensure_active_config(
            session, default_body=config_to_dict(load_default_config()), author="tandem", now=datetime.now(UTC)
        )
    then = AS_OF - timedelta(days=30)
    results = score_whole_book(factory, as_of=then, config=TriggerConfig.model_validate(row.body))
    with transaction(factory) as session:
        snapshots.replace_day(session, as_of=then, results=results, config_version=row.version)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_cycle_killed_at_random_moments_ends_as_if_never_killed(backend: str, tmp_path: Path) -> None:
    pg_url = os.environ.get(PG_URL_ENV)
    if backend == "postgres" and not pg_url:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    rng = random.Random(RNG_SEED)
    with book_copies(backend, tmp_path, _seed, pg_url=pg_url) as copies:
        reference_url = copies.copy()
        with running_stand_in() as api:
            runner = CycleRunner(api, AS_OF, tmp_path)
            output = runner.complete(reference_url)
            reference = day_state(reference_url, api, as_of=AS_OF)
        wall = runner.runs[0]
        work = cycle_seconds(output)  # the cycle's own time; before it, the process starts up
        assert reference.tables["cards"] and reference.posts, "the reference day made no cards: nothing to test"
        assert not reference.duplicates(), reference.duplicates()

        kills: list[KillPoint] = []
        draws = 0
        while len([k for k in kills if not k.finished]) < TRIALS and draws < MAX_DRAWS:
            url = copies.copy()
            with running_stand_in() as api:
                runner = CycleRunner(api, AS_OF, tmp_path)
                for _ in range(KILLS_PER_COPY):
                    draws += 1
                    kills.append(runner.kill_after(url, wall - work + rng.uniform(0.0, work)))
                runner.complete(url)
                state = day_state(url, api, as_of=AS_OF)
            where = [kill.describe() for kill in kills[-KILLS_PER_COPY:]]
            assert not state.duplicates(), f"duplicates after kills {where}: {state.duplicates()}"
            assert state.differences(reference) == {}, f"after kills {where}"

    report = "\n".join(f"  {kill.describe()}" for kill in kills)
    print(f"\n{backend}: reference run {wall:.1f} s ({work:.1f} s in the cycle), sizes {reference.sizes()}\n{report}")
    landed = [kill for kill in kills if not kill.finished]
    assert len(landed) >= TRIALS, f"only {len(landed)} kills landed mid-run:\n{report}"
