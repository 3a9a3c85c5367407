"""The daily cycle killed with SIGKILL at random points, then rerun: nothing twice, nothing lost.

One book is seeded once and copied: a reference copy runs the day untouched and counts its
transactions and card posts; each other copy has its cycle killed several times in a row (so a
kill may land in a rerun that is finishing the last one's work), each time at a point drawn
from a seeded RNG, alternately as the k-th transaction is about to commit and while Slack holds
the answer to the j-th card post (the message is in Slack, its record is not), then runs to
completion. Points are counted, not timed, so they land the same on a fast or a busy machine.
Every copy must end with exactly the reference's rows (snapshots, signals, drafts, cards, Slack
deliveries, outbox, override log, trips) and Slack posts, each counted by natural key.
"""

from __future__ import annotations

import os
import random
import time
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
from tests.support.crash_trials import CycleRunner, KillPoint, card_posts, day_state
from tests.support.slack_stand_in import running_stand_in

ACCOUNTS = 120
TRIALS = 10  # kills that land while the cycle runs
KILLS_PER_COPY = 5  # kills in a row on one copy (a rerun finishing a killed run's work is killed too)
MAX_KILLS = 2 * TRIALS  # a point past the end of a (shorter) rerun kills nothing: draw again
SET_UP_COMMITS = 4  # a run's transactions before its work (schema check, config, the day's scores)
RNG_SEED = 16
# Today, as the cycle sees it: cards created by a killed run count against today's card budgets.
AS_OF = datetime.now(UTC).date()


def _seed(factory: sessionmaker[Session]) -> None:
    """The book, and the scores of 30 days ago that a daily run would have stored (health_drop
    compares with them; without them the cycle recomputes them, which takes longer)."""
    generate_book(factory, accounts=ACCOUNTS, seed=5, as_of=AS_OF)
    with transaction(factory) as session:
        row = configs.ensure_active_config(
            session,
            default_body=config_to_dict(load_default_config()),
            author="tandem",
            now=datetime.now(UTC),
        )
    then = AS_OF - timedelta(days=30)
    results = score_whole_book(factory, as_of=then, config=TriggerConfig.model_validate(row.body))
    with transaction(factory) as session:
        snapshots.replace_day(session, as_of=then, results=results, config_version=row.version)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_cycle_killed_at_random_points_ends_as_if_never_killed(backend: str, tmp_path: Path) -> None:
    pg_url = os.environ.get(PG_URL_ENV)
    if backend == "postgres" and not pg_url:
        pytest.skip(
            f"PostgreSQL tests need {PG_URL_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    rng = random.Random(RNG_SEED)
    started = time.perf_counter()
    with book_copies(backend, tmp_path, _seed, pg_url=pg_url) as copies:
        reference_url = copies.copy()
        with running_stand_in() as api:
            runner = CycleRunner(api, AS_OF, tmp_path)
            runner.complete(reference_url)
            reference = day_state(reference_url, api, as_of=AS_OF)
            commits, posts = runner.commits[0], card_posts(api)
        assert reference.tables["cards"] and posts, "the reference day posted no card: nothing to test"
        before_posts = max(
            commits - 2 * posts, SET_UP_COMMITS
        )  # a card post commits its claim, then its record
        assert not reference.duplicates(), reference.duplicates()

        kills: list[KillPoint] = []
        while len([k for k in kills if not k.finished]) < TRIALS and len(kills) < MAX_KILLS:
            url = copies.copy()
            with running_stand_in() as api:
                runner = CycleRunner(api, AS_OF, tmp_path)
                left = commits  # about how many transactions a rerun of this copy still commits
                first = len(kills)
                for nth in range(KILLS_PER_COPY):
                    posts_left = posts - card_posts(api)
                    if nth % 2 and posts_left > 0:
                        kills.append(runner.kill_mid_post(url, rng.randint(1, posts_left)))
                    else:  # a copy's first kill lands before the posts: scoring, deciding, writing
                        point = rng.randint(1, before_posts if nth == 0 else left)
                        kills.append(runner.kill_before_commit(url, point))
                        left = max(left - point + SET_UP_COMMITS, SET_UP_COMMITS + 1)
                    if kills[-1].finished:  # the point was past this rerun's end: it ran to completion
                        break
                else:
                    runner.complete(url)
                state = day_state(url, api, as_of=AS_OF)
            where = "\n".join(kill.describe() for kill in kills[first:])
            assert not state.duplicates(), f"duplicates after the kills\n{where}:\n{state.duplicates()}"
            assert state.differences(reference) == {}, f"not the reference day after the kills\n{where}"

    report = "\n".join(f"  {kill.describe()}" for kill in kills)
    print(
        f"\n[crash] {backend}: {len(kills)} kills in {time.perf_counter() - started:.0f} s; the reference run "
        f"committed {commits} transactions and posted {posts} cards; day sizes {reference.sizes()}\n{report}"
    )
    landed = [kill for kill in kills if not kill.finished]
    assert len(landed) >= TRIALS, f"only {len(landed)} kills landed mid-run:\n{report}"
    assert any(kill.phase() == "mid-post" for kill in landed), f"no kill landed mid-post:\n{report}"
    assert any(kill.card_posts == 0 for kill in landed), f"no kill landed before the posts:\n{report}"
