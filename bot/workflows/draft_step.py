"""The drafting step: write the drafts a batch of decisions needs, then store them.

Split in two so the slow part (the LLM) runs outside any database transaction: `write_drafts`
asks the drafter for every request (reusing a stored draft when the same facts were drafted
with the same prompt version, and running at most the drafter's concurrency at once), and
`store_draft` records one result inside the transaction that records its signal and card.
Briefs go through `write_brief`, which does both for one `/brief` or `/qbr`.
A run starts with `reset_model_breaker` (a new run gives a model that stopped answering a new
chance) and `model_outage` says afterwards whether the breaker sent drafts to the template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.deps import Deps
from prompts.drafting import (
    BreakerState,
    BriefDocument,
    BriefRequest,
    DraftRequest,
    DraftResult,
    ModelBreaker,
    QBRRequest,
    TemplateDrafter,
    cache_key,
    request_kind,
)
from storage.db import transaction
from storage.models import Draft
from storage.repositories import drafts

logger = logging.getLogger(__name__)
R = TypeVar("R", DraftRequest, BriefRequest, QBRRequest)


def _author(deps: Deps) -> str:
    return str(getattr(deps.drafter, "author", "template"))


def _concurrency(deps: Deps) -> int:
    return max(1, int(getattr(deps.drafter, "max_concurrency", 1)))


def _breaker(deps: Deps) -> ModelBreaker | None:
    breaker = getattr(deps.drafter, "breaker", None)  # the template drafter has none
    return breaker if isinstance(breaker, ModelBreaker) else None


def reset_model_breaker(deps: Deps) -> None:
    """Close the LLM's breaker and empty its report, at the start of a run."""
    breaker = _breaker(deps)
    if breaker is not None:
        breaker.reset()


def model_outage(deps: Deps) -> str | None:
    """The sentence for a run's summary when the breaker opened since the run began, else None."""
    breaker = _breaker(deps)
    report = breaker.report() if breaker is not None else None
    if report is None or report.last_trip is None:
        return None
    stopped = f"the model stopped answering after {report.last_trip.streak}"
    if report.state is BreakerState.CLOSED:
        return f"{stopped}, then answered again after the cool-down"
    return f"{stopped}; the rest were drafted by template"


def reused(row: Draft) -> DraftResult:
    """A stored draft as this request's result: no new tokens were spent on it."""
    return DraftResult(
        subject=row.subject,
        body=row.body,
        author=row.author,
        prompt_version=row.prompt_version,
        facts_hash=row.facts_hash,
        prompt_tokens=0,
        completion_tokens=0,
        cost_usd=0.0,
        document=BriefDocument.from_json(row.document) if row.document else None,
        reused_draft_id=row.id,
    )


def _cached(deps: Deps, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], DraftResult]:
    with deps.session_factory() as session:
        rows = drafts.find_cached_drafts(session, keys=keys, author=_author(deps))
        return {key: reused(row) for key, row in rows.items()}


def _safely(
    write: Callable[[R], DraftResult], fallback: Callable[[R], DraftResult]
) -> Callable[[R], DraftResult]:
    """A drafter bug must not leave a card empty: the template writes it and a person reviews it."""

    def run(request: R) -> DraftResult:
        try:
            return write(request)
        except Exception as error:
            logger.exception("drafting failed unexpectedly; the template stands in")
            why = f"drafting failed unexpectedly ({type(error).__name__}); template draft used"
            return replace(fallback(request), needs_review=why)

    return run


def write_drafts(deps: Deps, requests: Sequence[DraftRequest]) -> list[DraftResult]:
    """One result per request, in the same order. Call it outside any transaction."""
    keys = [cache_key(request) for request in requests]
    results: dict[tuple[str, str, str], DraftResult] = _cached(deps, keys)
    todo: dict[tuple[str, str, str], DraftRequest] = {}
    for key, request in zip(keys, requests, strict=True):
        if key not in results:
            todo.setdefault(key, request)  # the same facts twice in one batch are drafted once
    write = _safely(deps.drafter.draft, TemplateDrafter().draft)
    workers = min(_concurrency(deps), len(todo))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="draft") as pool:
            written = list(pool.map(write, todo.values()))
    else:
        written = [write(request) for request in todo.values()]
    results.update(zip(todo, written, strict=True))
    return [results[key] for key in keys]


def store_draft(
    session: Session,
    *,
    request: DraftRequest | BriefRequest | QBRRequest,
    result: DraftResult,
    account_id: str,
    signal_id: int | None,
    now: datetime,
    flush: bool = True,
) -> Draft:
    return drafts.save_draft(
        session,
        account_id=account_id,
        signal_id=signal_id,
        kind=request_kind(request),  # the result carries the hash and version: no need to hash again
        subject=result.subject,
        body=result.body,
        author=result.author,
        prompt_version=result.prompt_version,
        facts_hash=result.facts_hash,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        needs_review=result.needs_review,
        now=now,
        cost_usd=result.cost_usd,
        document=result.document.to_json() if result.document else None,
        reused_draft_id=result.reused_draft_id,
        flush=flush,
    )


def write_brief(deps: Deps, request: BriefRequest | QBRRequest, *, account_id: str) -> DraftResult:
    """A `/brief` or `/qbr` brief: the stored one when the facts and prompt version are the same,
    else a new one from the drafter, recorded (with its tokens and cost) before it is returned."""
    key = cache_key(request)
    hit = _cached(deps, [key]).get(key)
    if hit is not None:
        return hit
    if isinstance(request, QBRRequest):
        result = _safely(deps.drafter.qbr, TemplateDrafter().qbr)(request)
    else:
        result = _safely(deps.drafter.brief, TemplateDrafter().brief)(request)
    with transaction(deps.session_factory) as session:
        store_draft(session, request=request, result=result, account_id=account_id, signal_id=None,
                    now=deps.clock.now())  # fmt: skip
    return result
