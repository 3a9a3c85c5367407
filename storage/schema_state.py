"""Is the database's schema the one this code expects? (`TANDEM_ENV=production` asks before
every command but `db upgrade`.)

In production the schema changes only through `tandem db upgrade`, run once per release by the
operator (the compose file's one-shot `migrate` service): several `serve` replicas starting at
once must not race each other's migrations, and a migration should never run by surprise under
a command meant to read. So the other commands compare the database's Alembic revision with the
code's head and refuse, naming both, when they differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage.db import alembic_config


@dataclass(frozen=True)
class SchemaRevisions:
    current: str | None  # None: the database has no Tandem schema yet
    expected: str  # the code's head revision

    @property
    def up_to_date(self) -> bool:
        return self.current == self.expected


class SchemaNotCurrent(Exception):
    """The database's schema is not the one this code expects; the message says what to do."""

    def __init__(self, revisions: SchemaRevisions, *, known: bool) -> None:
        self.revisions = revisions
        expected = revisions.expected
        if revisions.current is None:
            message = (
                f"the database has no Tandem schema yet (expected revision {expected}); "
                "run `tandem db upgrade` first"
            )
        elif not known:
            message = (
                f"the database's schema is at revision {revisions.current}, which this version of "
                f"Tandem does not know (it expects {expected}): a newer release migrated it; "
                "run that release, or restore the database"
            )
        else:
            message = (
                f"the database's schema is at revision {revisions.current}, but this version of "
                f"Tandem expects {expected}; run `tandem db upgrade` first"
            )
        super().__init__(message)


def schema_revisions(engine: Engine) -> SchemaRevisions:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    expected = script.get_current_head()
    assert expected is not None, "the migrations folder has no head revision"
    return SchemaRevisions(current=current, expected=expected)


def require_current_schema(engine: Engine) -> SchemaRevisions:
    """The revisions when the schema is current; else `SchemaNotCurrent` (nothing is changed)."""
    revisions = schema_revisions(engine)
    if revisions.up_to_date:
        return revisions
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = revisions.current is None or _is_known(script, revisions.current)
    raise SchemaNotCurrent(revisions, known=known)


def _is_known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises its own ResolutionError / CommandError variants
        return False
