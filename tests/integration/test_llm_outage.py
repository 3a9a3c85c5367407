"""An LLM outage does not stall the day: against a local OpenAI-compatible server that never
answers, the model breaker opens after a few consecutive timeouts and every later draft, brief
and QBR goes straight to the template and says why; the cycle's summary says so too; a new run,
or the cool-down's one trial call, gives the model a new chance. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.settings import Settings
from bot.workflows.cycle import run_cycle
from bot.workflows.draft_step import write_drafts
from bot.workflows.qbr import QBRBrief, build_qbr
from prompts.drafting import BreakerState, LLMDrafter, ModelBreaker, make_drafter
from prompts.llm_client import LLMClient
from storage.db import transaction
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.integration.slack_env import slack_env
from tests.support import factories
from tests.support.drafting_factories import brief, check_in
from tests.support.factories import OWNER
from tests.support.fake_models import grounded
from tests.support.openai_server import Behaviour, FakeOpenAI
from tests.support.recording_poster import RecordingPoster
from tests.support.waiting import wait_for

THRESHOLD = 3  # OPENAI_BREAKER_FAILURES' default
CONCURRENCY = 4
TIMEOUT = 0.5
REFUSED = (
    f"the model is not answering: {THRESHOLD} consecutive failures "
    f"(last: LLM call timed out after {TIMEOUT:g} s); drafted by template"
)
TIMED_OUT = f"LLM call timed out after {TIMEOUT:g} s; template draft used"
GOOD_BODY = "Hi Sam,\n\nCould we find time for a short call this week?\n\nBest,\nAna Lima"
CYCLE_DAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def silent() -> Iterator[FakeOpenAI]:
    """An endpoint that accepts every request and never answers it."""
    with FakeOpenAI(default=Behaviour.no_answer()) as server:
        yield server


def llm_drafter(server: FakeOpenAI) -> LLMDrafter:
    made = make_drafter(api_key="sk-test", base_url=server.base_url, model="gpt-4o-mini",
                        timeout_seconds=TIMEOUT, max_retries=2, max_concurrency=CONCURRENCY)  # fmt: skip
    assert isinstance(made, LLMDrafter)
    return made


def deps_for(db: Database, drafter: LLMDrafter, *, now: datetime = CYCLE_DAY) -> Deps:
    return Deps(settings=Settings(), session_factory=db.session_factory, clock=FrozenClock(now),  # type: ignore[call-arg]
                drafter=drafter, poster=RecordingPoster())  # fmt: skip


def open_breaker(drafter: LLMDrafter) -> None:
    for score in range(THRESHOLD):
        assert drafter.draft(check_in(score=90 + score)).needs_review == TIMED_OUT
    assert drafter.breaker.state is BreakerState.OPEN


def test_after_a_few_timeouts_the_rest_of_the_batch_is_drafted_by_template_at_once(
    db: Database, silent: FakeOpenAI
) -> None:
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        factories.add_account(session)
    deps = deps_for(db, llm_drafter(silent))
    started = time.perf_counter()
    results = write_drafts(deps, [check_in(score=s) for s in range(20)])
    print(f"\n20 drafts against a model that never answers: {time.perf_counter() - started:.2f} s, "
          f"{len(silent.requests)} calls reached it")  # fmt: skip
    assert THRESHOLD <= len(silent.requests) <= THRESHOLD + CONCURRENCY, (
        "no new call after the breaker opened"
    )
    assert all(r.author == "template" and r.attempts <= 1 for r in results)
    reasons = [r.needs_review for r in results]
    assert set(reasons) == {TIMED_OUT, REFUSED}
    assert reasons.count(TIMED_OUT) == len(silent.requests) and reasons.count(REFUSED) == 20 - len(
        silent.requests
    )


def test_the_cycle_summary_says_the_model_stopped_answering(db: Database, silent: FakeOpenAI) -> None:
    generate_book(db.session_factory, accounts=60, seed=11, as_of=CYCLE_DAY.date())
    deps = deps_for(db, llm_drafter(silent))
    summary = run_cycle(deps, as_of=CYCLE_DAY.date())
    drafted = sum(summary.drafts_by_author.values())
    print(f"\n{drafted} drafts, {len(silent.requests)} calls reached the model:\n{summary.render()}")
    assert drafted > THRESHOLD + CONCURRENCY and summary.drafts_by_author == {"template": drafted}
    assert len(silent.requests) <= THRESHOLD + CONCURRENCY
    assert (
        f"  drafts: template {drafted} — the model stopped answering after {THRESHOLD} consecutive timeouts; "
        "the rest were drafted by template"
    ) in summary.render().splitlines()


def test_a_new_cycle_gives_the_model_a_new_chance(db: Database) -> None:
    generate_book(db.session_factory, accounts=60, seed=11, as_of=CYCLE_DAY.date())
    with FakeOpenAI(responder=grounded) as llm:
        llm.script(*[Behaviour.no_answer()] * THRESHOLD)
        drafter = llm_drafter(llm)
        open_breaker(drafter)
        summary = run_cycle(deps_for(db, drafter), as_of=CYCLE_DAY.date())
    assert summary.drafts_by_author["llm"] > 0 and "stopped answering" not in summary.render()
    assert drafter.breaker.state is BreakerState.CLOSED


def test_after_the_cooldown_one_trial_call_and_its_answer_closes_the_breaker() -> None:
    clock = [0.0]
    with FakeOpenAI(default=Behaviour.answer(subject="Checking in", body=GOOD_BODY)) as llm:
        llm.script(*[Behaviour.no_answer()] * THRESHOLD)
        breaker = ModelBreaker(failures=THRESHOLD, cooldown_seconds=600, clock=lambda: clock[0])
        client = LLMClient(api_key="sk-test", base_url=llm.base_url, model="m", timeout_seconds=TIMEOUT,
                           breaker=breaker)  # fmt: skip
        drafter = LLMDrafter(client)
        open_breaker(drafter)
        clock[0] += 599
        assert drafter.draft(check_in()).needs_review == REFUSED and len(llm.requests) == THRESHOLD
        clock[0] += 1
        trial = drafter.draft(check_in())
        assert (trial.author, trial.needs_review, len(llm.requests)) == ("llm:m", None, THRESHOLD + 1)
        assert breaker.state is BreakerState.CLOSED
        assert drafter.draft(check_in(score=5)).author == "llm:m" and len(llm.requests) == THRESHOLD + 2


def test_answers_the_validator_refuses_do_not_open_the_breaker() -> None:
    with FakeOpenAI(default=Behaviour.invalid_json()) as llm:
        drafter = llm_drafter(llm)
        results = [drafter.draft(check_in(score=s)) for s in range(THRESHOLD + 1)]
    assert len(llm.requests) == 2 * (THRESHOLD + 1), "every draft asked twice: the model is answering"
    assert all((r.needs_review or "").startswith("LLM draft rejected") for r in results)
    assert drafter.breaker.state is BreakerState.CLOSED


def test_brief_falls_back_to_the_template_at_once_and_says_so(
    sqlite_db: Database, silent: FakeOpenAI
) -> None:
    drafter = llm_drafter(silent)
    open_breaker(drafter)
    result = drafter.brief(brief())
    assert result.author == "template" and result.needs_review == REFUSED
    with slack_env(sqlite_db, drafter=drafter) as env:
        env.slack.slash_command("Acme Corp", user_id=OWNER, response_url=env.api.response_url("b"))
        told = wait_for(lambda: env.api.responses_at("b"))[0].body
    text = json.dumps(told["blocks"])
    assert "Written by template" in text and f"Needs human review: {REFUSED}" in text
    assert len(silent.requests) == THRESHOLD, "the brief never reached the model"


def test_qbr_falls_back_to_the_template_at_once_and_says_so(sqlite_db: Database, silent: FakeOpenAI) -> None:
    drafter = llm_drafter(silent)
    open_breaker(drafter)
    with slack_env(sqlite_db, drafter=drafter) as env:
        made = build_qbr(env.deps, query="Acme Corp", actor=OWNER)
    assert isinstance(made, QBRBrief)
    assert made.result.author == "template" and made.result.needs_review == REFUSED
    assert f"_Needs human review: {REFUSED}_" in made.markdown
    assert len(silent.requests) == THRESHOLD
