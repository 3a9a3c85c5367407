"""Drafts: what was written for a signal or a brief, by whom, from which prompt version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Draft


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
) -> Draft:
    draft = Draft(
        account_id=account_id,
        signal_id=signal_id,
        kind=kind,
        subject=subject[:300],
        body=body,
        author=author,
        prompt_version=prompt_version,
        facts_hash=facts_hash,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        needs_review=needs_review,
        created_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, *, draft_id: int) -> Draft | None:
    return session.get(Draft, draft_id)


def find_cached_draft(session: Session, *, facts_hash: str, prompt_version: str, kind: str) -> Draft | None:
    return session.scalar(
        select(Draft)
        .where(Draft.facts_hash == facts_hash, Draft.prompt_version == prompt_version, Draft.kind == kind)
        .order_by(Draft.id.desc())
        .limit(1)
    )
