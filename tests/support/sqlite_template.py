"""One migrated SQLite file that tests and benchmarks copy instead of migrating again."""

from __future__ import annotations

from pathlib import Path

from storage.db import make_engine, upgrade


def migrated_sqlite(path: Path) -> Path:
    """Migrate a new SQLite file at `path` with Tandem's own migrations and fold its WAL in, so
    a plain file copy is a complete database."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    raw = engine.raw_connection()  # outside a transaction: a checkpoint can't run inside one
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    engine.dispose()
    return path
