"""The drafting step the cycle calls: results in order, the stored-draft cache by facts hash and
prompt version, the drafter's bounded concurrency, a drafter bug never leaving a card empty,
and what store_draft keeps (tokens, cost, the brief's document), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.settings import Settings
from bot.workflows.draft_step import store_draft, write_brief, write_drafts
from prompts.drafting import (
    BriefRequest,
    DraftRequest,
    DraftResult,
    QBRRequest,
    TemplateDrafter,
    make_drafter,
)
from storage.db import transaction
from storage.models import Draft
from tests.conftest import Database
from tests.support import factories
from tests.support.drafting_factories import brief, check_in, qbr
from tests.support.fake_models import grounded
from tests.support.openai_server import FakeOpenAI
from tests.support.recording_poster import RecordingPoster

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


class CountingDrafter(TemplateDrafter):
    """The template drafter, counting calls and the most it ever ran at once."""

    author = "template"

    def __init__(self, concurrency: int = 1) -> None:
        self.calls = 0
        self.running = 0
        self.peak = 0
        self.max_concurrency = concurrency  # type: ignore[misc]
        self._lock = threading.Lock()

    def draft(self, request: DraftRequest) -> DraftResult:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        threading.Event().wait(0.05)
        with self._lock:
            self.running -= 1
        return super().draft(request)


def deps_for(db: Database, drafter: object) -> Deps:
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        factories.add_account(session)
    return Deps(settings=Settings(), session_factory=db.session_factory, clock=FrozenClock(NOW),  # type: ignore[call-arg]
                drafter=drafter, poster=RecordingPoster())  # type: ignore[arg-type]  # fmt: skip


def store(db: Database, request: DraftRequest | BriefRequest | QBRRequest, result: DraftResult) -> int:
    with transaction(db.session_factory) as session:
        return store_draft(
            session, request=request, result=result, account_id="ACC-1", signal_id=None, now=NOW
        ).id


def rows(db: Database) -> list[Draft]:
    with db.session_factory() as session:
        return list(session.scalars(select(Draft).order_by(Draft.id)))


def test_results_come_back_in_order_and_a_stored_draft_of_the_same_facts_is_reused(db: Database) -> None:
    drafter = CountingDrafter()
    deps = deps_for(db, drafter)
    first, second = check_in(), check_in(score=40, kind="renewal_reminder", trigger="renewal_reminder")
    stored_id = store(db, first, TemplateDrafter().draft(first))
    results = write_drafts(deps, [second, first, second])
    assert drafter.calls == 1, "the stored one reused, the duplicate in the batch drafted once"
    assert [r.prompt_version for r in results] == ["renewal_reminder@1", "check_in@2", "renewal_reminder@1"]
    assert results[1].reused_draft_id == stored_id and (results[1].prompt_tokens, results[1].cost_usd) == (
        0,
        0.0,
    )
    assert results[0].reused_draft_id is None and results[0] == results[2]


def test_a_draft_that_needed_review_or_came_from_another_author_is_not_reused(db: Database) -> None:
    drafter = CountingDrafter()
    deps = deps_for(db, drafter)
    request = check_in()
    store(
        db, request, replace(TemplateDrafter().draft(request), needs_review="LLM call timed out after 30 s")
    )
    store(db, request, replace(TemplateDrafter().draft(request), author="llm:other-model"))
    (result,) = write_drafts(deps, [request])
    assert drafter.calls == 1 and result.reused_draft_id is None


def test_a_new_prompt_version_misses_the_cache(db: Database) -> None:
    drafter = CountingDrafter()
    deps = deps_for(db, drafter)
    request = check_in()
    store(db, request, replace(TemplateDrafter().draft(request), prompt_version="check_in@1"))
    write_drafts(deps, [request])
    assert drafter.calls == 1


def test_drafting_runs_at_most_the_drafters_concurrency_at_once(db: Database) -> None:
    drafter = CountingDrafter(concurrency=3)
    deps = deps_for(db, drafter)
    results = write_drafts(deps, [check_in(score=s) for s in range(10)])
    assert (
        drafter.calls == 10
        and drafter.peak == 3
        and [r.facts_hash for r in results]
        == [TemplateDrafter().draft(check_in(score=s)).facts_hash for s in range(10)]
    )


def test_llm_drafts_of_a_batch_share_the_bounded_client_and_are_reused_next_time(db: Database) -> None:
    with FakeOpenAI(responder=grounded, latency=0.2) as llm:
        drafter = make_drafter(
            api_key="sk-test", base_url=llm.base_url, model="gpt-4o-mini", max_concurrency=2
        )
        deps = deps_for(db, drafter)
        requests = [check_in(score=s) for s in range(6)]
        results = write_drafts(deps, requests)
        for request, result in zip(requests, results, strict=True):
            store(db, request, result)
        again = write_drafts(deps, requests)
    assert [r.author for r in results] == ["llm:gpt-4o-mini"] * 6 and all(
        r.needs_review is None for r in results
    )
    assert llm.peak_in_flight == 2 and len(llm.requests) == 6, "the second batch came from the cache"
    assert all(r.reused_draft_id is not None for r in again)
    stored = rows(db)
    assert all(d.prompt_tokens and d.completion_tokens and d.cost_usd is not None for d in stored)


class ExplodingDrafter(TemplateDrafter):
    def draft(self, request: DraftRequest) -> DraftResult:
        if request.score == 13:
            raise KeyError("bug")
        return super().draft(request)


def test_a_drafter_bug_falls_back_to_the_template_with_a_review_note(db: Database) -> None:
    deps = deps_for(db, ExplodingDrafter())
    ok, broken = write_drafts(deps, [check_in(), check_in(score=13)])
    assert ok.needs_review is None and broken.author == "template" and broken.body
    assert broken.needs_review == "drafting failed unexpectedly (KeyError); template draft used"


def test_store_draft_keeps_tokens_cost_and_the_briefs_document(db: Database) -> None:
    deps = deps_for(db, TemplateDrafter())
    result = write_brief(deps, qbr(), account_id="ACC-1")
    request = check_in()
    store(db, request, replace(TemplateDrafter().draft(request), author="llm:m", prompt_tokens=400,
                               completion_tokens=90, cost_usd=0.000114))  # fmt: skip
    brief_row, draft_row = rows(db)
    assert (brief_row.kind, brief_row.signal_id, brief_row.prompt_version) == ("qbr", None, "qbr@1")
    assert result.document is not None and brief_row.document == result.document.to_json()
    assert (draft_row.kind, draft_row.prompt_tokens, draft_row.completion_tokens) == ("check_in", 400, 90)
    assert draft_row.cost_usd == pytest.approx(0.000114)
    again = write_brief(deps, qbr(), account_id="ACC-1")
    assert again.reused_draft_id == brief_row.id and again.document == result.document and len(rows(db)) == 2
    other = write_brief(deps, brief(), account_id="ACC-1")
    assert other.prompt_version == "brief@2" and len(rows(db)) == 3
