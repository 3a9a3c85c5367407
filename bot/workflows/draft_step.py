"""The cycle's drafting step: write the drafts a batch of decisions needs, then store them.

Split in two so the slow part (the LLM) runs outside any database transaction: `write_drafts`
asks the drafter for every request, `store_draft` records one result inside the transaction
that records its signal and card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.deps import Deps
from prompts.drafting import DraftRequest, DraftResult
from storage.models import Draft
from storage.repositories import drafts


def write_drafts(deps: Deps, requests: Sequence[DraftRequest]) -> list[DraftResult]:
    """One result per request, in the same order."""
    return [deps.drafter.draft(request) for request in requests]


def store_draft(
    session: Session,
    *,
    request: DraftRequest,
    result: DraftResult,
    account_id: str,
    signal_id: int | None,
    now: datetime,
) -> Draft:
    return drafts.save_draft(
        session,
        account_id=account_id,
        signal_id=signal_id,
        kind=request.kind,
        subject=result.subject,
        body=result.body,
        author=result.author,
        prompt_version=result.prompt_version,
        facts_hash=result.facts_hash,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        needs_review=result.needs_review,
        now=now,
    )
