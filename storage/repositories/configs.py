"""Versioned trigger configurations; exactly one is active.

New versions are created inactive (a proposal ops can review) and switched on by `activate`,
one UPDATE that turns the chosen version on and every other one off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import TriggerConfig
from storage.repositories.bulk import insert_many


def active_config(session: Session) -> TriggerConfig | None:
    return session.scalar(
        select(TriggerConfig)
        .where(TriggerConfig.active.is_(True))
        .order_by(TriggerConfig.version.desc())
        .limit(1)
    )


def ensure_active_config(
    session: Session, *, default_body: dict[str, Any], author: str, now: datetime
) -> TriggerConfig:
    """The active configuration; on first use, version 1 from the default body.

    If versions exist but none is active (edited by hand), the newest one is activated.
    """
    active = active_config(session)
    if active is not None:
        return active
    if session.scalar(select(func.count()).select_from(TriggerConfig)):
        latest = session.scalar(select(TriggerConfig).order_by(TriggerConfig.version.desc()).limit(1))
        assert latest is not None
        activate(session, version=latest.version)
        return latest
    # Two first runs at once (a `cycle` and the scheduler) both get here: the insert skips a
    # version 1 the other wrote, and both read the one that landed.
    seed = {"version": 1, "body": default_body, "author": author, "created_at": now, "active": True,
            "note": "default"}  # fmt: skip
    insert_many(session, cast(Table, TriggerConfig.__table__), ("version",), [seed])
    row = session.get(TriggerConfig, 1, populate_existing=True)
    assert row is not None
    return row


def create_config_version(
    session: Session, *, body: dict[str, Any], author: str, now: datetime, note: str = ""
) -> TriggerConfig:
    """The next version number, inactive until `activate`."""
    latest = session.scalar(select(func.max(TriggerConfig.version))) or 0
    row = TriggerConfig(version=latest + 1, body=body, author=author, created_at=now, active=False, note=note)
    session.add(row)
    session.flush()
    return row


def activate(session: Session, *, version: int) -> None:
    """Make `version` the only active configuration; LookupError names the known versions."""
    if session.scalar(select(TriggerConfig.version).where(TriggerConfig.version == version)) is None:
        known = ", ".join(
            str(v) for v in session.scalars(select(TriggerConfig.version).order_by(TriggerConfig.version))
        )
        raise LookupError(f"no trigger configuration version {version} (known: {known or 'none'})")
    session.execute(
        update(TriggerConfig)
        .where(or_(TriggerConfig.active.is_(True), TriggerConfig.version == version))
        .values(active=case((TriggerConfig.version == version, True), else_=False))
    )
