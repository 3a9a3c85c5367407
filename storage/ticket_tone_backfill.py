"""Rescore the tone stored on tickets: for migrations that add `tickets.sentiment` or change how
it is computed, so stored tickets read the same as tickets imported afterwards."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

BATCH_SIZE = 5_000

# The table as the migrations know it, not the current model: a later model change must not
# alter what an old migration does.
_TICKETS = sa.table(
    "tickets", sa.column("ticket_id"), sa.column("subject"), sa.column("body"), sa.column("sentiment")
)


def rescore_ticket_tone(connection: Connection, *, batch_size: int = BATCH_SIZE) -> int:
    """Recompute every ticket's tone with the app's own `ticket_tone` (the figure an import would
    write today) and store the ones that differ; return how many changed.

    Tickets are read `batch_size` at a time in ticket_id order, so memory stays flat on a large
    book, and each batch's changes go in one executemany."""
    from scoring.sentiment import ticket_tone  # imported here: a migration loads it only when run

    t = _TICKETS.c
    update = (
        sa.update(_TICKETS).where(t.ticket_id == sa.bindparam("key")).values(sentiment=sa.bindparam("tone"))
    )
    changed = 0
    after: str | None = None
    while True:
        query = sa.select(t.ticket_id, t.subject, t.body, t.sentiment).order_by(t.ticket_id).limit(batch_size)
        if after is not None:
            query = query.where(t.ticket_id > after)
        rows = connection.execute(query).all()
        if not rows:
            return changed
        updates = [
            {"key": ticket_id, "tone": tone}
            for ticket_id, subject, body, stored in rows
            if (tone := ticket_tone(subject or "", body or "")) != stored
        ]
        if updates:
            connection.execute(update, updates)
            changed += len(updates)
        after = rows[-1][0]
