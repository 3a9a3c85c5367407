"""Drafts: what was written for a signal or a brief, by whom, from which prompt version, at what
cost; and the cache that lets the same facts with the same prompt version reuse a stored draft."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Draft

SUBJECT_LIMIT = 300


def save_draft(
    session: Session,
    *,
    account_id: str,
    signal_id: int | None,
    kind: str,
    subject: str,
    body: str,
    author: str,
    prompt_version: str,
    facts_hash: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    needs_review: str | None,
    now: datetime,
    cost_usd: float | None = None,
    document: dict[str, Any] | None = None,
    reused_draft_id: int | None = None,
    flush: bool = True,
) -> Draft:
    """The new draft, flushed (it has its id) unless `flush=False`: a caller storing many
    flushes once, and one INSERT ... RETURNING writes them all."""
    draft = Draft(
        account_id=account_id,
        signal_id=signal_id,
        kind=kind,
        subject=subject[:SUBJECT_LIMIT],
        body=body,
        author=author,
        prompt_version=prompt_version,
        facts_hash=facts_hash,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        needs_review=needs_review,
        created_at=now,
        cost_usd=cost_usd,
        document=document,
        reused_draft_id=reused_draft_id,
    )
    session.add(draft)
    if flush:
        session.flush()
    return draft


def get_draft(session: Session, *, draft_id: int) -> Draft | None:
    return session.get(Draft, draft_id)


def find_cached_draft(
    session: Session,
    *,
    facts_hash: str,
    prompt_version: str,
    kind: str,
    author: str | None = None,
    reusable_only: bool = False,
) -> Draft | None:
    """The newest draft for this cache key, or None. `author` None matches any author.

    With `reusable_only`, a draft that needed review (the LLM failed and the template stood in)
    is skipped: the drafting cache never reuses one, so the next request gives the LLM another
    chance.
    """
    query = select(Draft).where(
        Draft.facts_hash == facts_hash, Draft.prompt_version == prompt_version, Draft.kind == kind
    )
    if author is not None:
        query = query.where(Draft.author == author)
    if reusable_only:
        query = query.where(Draft.needs_review.is_(None))
    return session.scalar(query.order_by(Draft.id.desc()).limit(1))


def find_cached_drafts(
    session: Session, *, keys: Iterable[tuple[str, str, str]], author: str
) -> dict[tuple[str, str, str], Draft]:
    """The newest reusable draft (no review note) by `author` per (facts_hash, prompt_version,
    kind) among `keys`, in one query per 500 hashes."""
    wanted = set(keys)
    if not wanted:
        return {}
    hashes = sorted({key[0] for key in wanted})
    found: dict[tuple[str, str, str], Draft] = {}
    for start in range(0, len(hashes), 500):
        rows = session.scalars(
            select(Draft)
            .where(
                Draft.facts_hash.in_(hashes[start : start + 500]),
                Draft.author == author,
                Draft.needs_review.is_(None),
            )
            .order_by(Draft.id)
        )
        for row in rows:
            key = (row.facts_hash, row.prompt_version, row.kind)
            if key in wanted:
                found[key] = row  # ordered by id: the newest wins
    return found
