"""The daily cycle end to end on a seeded book: the planted hard cases are routed as the
seeds say, nothing is posted or queued twice, and digests go out once per local day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.settings import Settings
from bot.workflows.cycle import run_cycle
from bot.workflows.digest import post_digests
from prompts.drafting import DraftRequest, DraftResult, TemplateDrafter
from scoring.types import Route
from storage.models import Account, EscalationCard, HealthSnapshot, OutboxMessage, Signal
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.support.recording_poster import RecordingPoster

AS_OF = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
BOOK_SIZE = 60


@pytest.fixture
def seeded(db: Database) -> tuple[Deps, RecordingPoster, dict[str, str]]:
    clock = FrozenClock(AS_OF)
    poster = RecordingPoster()
    deps = Deps(
        settings=Settings(),
        session_factory=db.session_factory,
        clock=clock,
        drafter=TemplateDrafter(),
        poster=poster,
    )
    summary = generate_book(db.session_factory, accounts=BOOK_SIZE, seed=11, as_of=AS_OF.date())
    return deps, poster, dict(summary.planted)


def _routes(deps: Deps, account_id: str) -> set[str]:
    with deps.session_factory() as session:
        return set(session.scalars(select(Signal.route).where(Signal.account_id == account_id)))


def test_cycle_routes_the_planted_cases(seeded: tuple[Deps, RecordingPoster, dict[str, str]]) -> None:
    deps, poster, planted = seeded
    summary = run_cycle(deps, as_of=AS_OF.date())

    assert summary.accounts_scored == BOOK_SIZE
    with deps.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(HealthSnapshot)) == BOOK_SIZE
        auto_queued = list(session.scalars(select(OutboxMessage).where(OutboxMessage.card_id.is_(None))))

    # The migration looks like a usage crash: a person looks, no automated "concerned" email.
    migration_routes = _routes(deps, planted["migration"])
    assert Route.AUTO not in migration_routes
    assert all(m.account_id != planted["migration"] for m in auto_queued)
    # A security incident during the renewal window: automated outreach paused, one card for a person.
    assert _routes(deps, planted["incident_renewal"]) == {Route.HUMAN}
    assert all(m.account_id != planted["incident_renewal"] for m in auto_queued)
    # Above 2% of total ARR: never automated, a human reviews.
    whale = _routes(deps, planted["whale"])
    assert whale and Route.AUTO not in whale
    # Two complexity indicators at once: escalate now.
    assert Route.ESCALATE in _routes(deps, planted["two_complexity"])
    # The SMB account that is safe to automate: queued with a hold window, no card.
    safe = [m for m in auto_queued if m.account_id == planted["safe_to_automate"]]
    assert len(safe) == 1
    assert safe[0].send_after == AS_OF.replace(hour=8)  # two hours' hold window
    with deps.session_factory() as session:
        cards = list(session.scalars(select(EscalationCard)))
    assert all(card.account_id != planted["safe_to_automate"] for card in cards)
    assert [card.account_id for card in cards].count(planted["incident_renewal"]) == 1  # not one per signal
    # Every card was posted to its owner's DM, with the exact button labels on assist cards.
    assert summary.cards_posted == len(cards) > 0
    assert all(card.message_ts for card in cards)
    labels = {
        element["text"]["text"]
        for message in poster.posted
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert {"Approve", "Edit", "Take over"} <= labels


def test_rerunning_the_same_day_posts_and_queues_nothing_new(
    seeded: tuple[Deps, RecordingPoster, dict[str, str]],
) -> None:
    deps, poster, _ = seeded
    first = run_cycle(deps, as_of=AS_OF.date())
    posted_after_first = len(poster.posted)
    second = run_cycle(deps, as_of=AS_OF.date())

    assert sum(second.signals.values()) == 0
    assert second.already_recorded == sum(first.routes.values())  # one lead decision per account
    assert second.cards_posted == 0 and second.auto_queued == 0
    assert len(poster.posted) == posted_after_first


def test_digests_go_out_once_per_local_day(seeded: tuple[Deps, RecordingPoster, dict[str, str]]) -> None:
    deps, poster, _ = seeded
    run_cycle(deps, as_of=AS_OF.date())
    before = len(poster.posted)

    first = post_digests(deps)
    second = post_digests(deps)

    assert len(first.posted) >= 3 and not first.failed
    assert second.posted == [] and sorted(second.skipped_already_posted) == sorted(first.posted)
    digests = poster.posted[before:]
    assert len(digests) == len(first.posted)
    assert all(message["blocks"][0]["type"] == "header" for message in digests)


class DoubtfulDrafter(TemplateDrafter):
    """A drafter whose every check-in failed validation (as an LLM draft might)."""

    def draft(self, request: DraftRequest) -> DraftResult:
        return replace(super().draft(request), needs_review="Needs human review: the LLM timed out.")


def test_a_doubted_draft_is_never_sent_automatically(
    seeded: tuple[Deps, RecordingPoster, dict[str, str]],
) -> None:
    deps, _, planted = seeded
    deps.drafter = DoubtfulDrafter()
    summary = run_cycle(deps, as_of=AS_OF.date())

    assert summary.auto_queued == 0 and summary.routes[Route.AUTO.value] == 0
    with deps.session_factory() as session:
        signal = session.scalars(
            select(Signal).where(
                Signal.account_id == planted["safe_to_automate"], Signal.trigger == "health_low"
            )
        ).one()
        card = session.scalars(select(EscalationCard).where(EscalationCard.signal_id == signal.id)).one()
    assert signal.route == Route.ASSIST and signal.reasons["codes"][0] == "draft_needs_review"
    assert card.draft_id is not None


def test_the_score_30_days_back_is_the_same_from_a_bulk_pass_or_account_by_account(
    seeded: tuple[Deps, RecordingPoster, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.workflows import cycle
    from scoring.config import load_default_config

    deps, _, _ = seeded
    config = load_default_config()
    with deps.session_factory() as session:
        ids = list(session.scalars(select(Account.account_id)))
    one_by_one = cycle.previous_scores(deps, as_of=AS_OF.date(), config=config, account_ids=ids)
    monkeypatch.setattr(cycle, "FEW_MISSING", 0)  # as on a large new book
    in_bulk = cycle.previous_scores(deps, as_of=AS_OF.date(), config=config, account_ids=ids)
    assert len(one_by_one) >= len(ids) - 5  # nearly every account has usage that far back
    differing = {k for k in one_by_one if abs(one_by_one[k] - in_bulk.get(k, -100)) > 1}
    assert not differing, {k: (one_by_one[k], in_bulk.get(k)) for k in differing}
