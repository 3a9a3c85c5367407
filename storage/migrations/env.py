"""Alembic environment: the engine comes from storage.db.upgrade (or DATABASE_URL)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine

from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    return make_engine(os.environ.get("DATABASE_URL", "sqlite:///tandem.db"))


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # APScheduler owns its job table; Alembic must neither create nor drop it.
    return not (type_ == "table" and name == "scheduler_jobs")


def run_migrations_online() -> None:
    engine = _engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        context.run_migrations()


run_migrations_online()
