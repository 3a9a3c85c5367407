"""the override log keeps what learning needs with each decision

Adds to `override_log`: the signal it was about (`signal_id`), the cycle day that signal came
from (`cycle_day`, indexed: labels and weeks are dated by it), a dismissal's reason code
(`reason_code`; `reason` keeps the words), the account's `segment`, the trigger's
`fired_value`, `threshold` and `margin`, the account's other triggers that fired the same day
(`co_firing`), the card's `propensity` (1 for a fired card) and an edit's `edit_size` (share
of the draft changed).

Existing rows are backfilled where the data allows: the signal through the card or the outbox
message, its day and co-firing triggers, the dismissal's code from the card, the segment from
the account (as it is now), propensity 1, the edit size from the proposed and the sent text,
and value / threshold / margin from the signal's details, reading the line from the
configuration version the signal fired under (triggers recorded them uniformly only from this
release on). The derivation below is a frozen copy of how each trigger's details looked before.

Revision ID: 0011
Revises: 0010
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from scoring.learning.edits import edit_size

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

OVERRIDES = sa.table(
    "override_log",
    sa.column("id", sa.Integer), sa.column("action", sa.String), sa.column("account_id", sa.String),
    sa.column("card_id", sa.Integer), sa.column("outbox_id", sa.Integer),
    sa.column("proposed_draft", sa.Text), sa.column("edited_text", sa.Text),
    sa.column("signal_id", sa.Integer), sa.column("cycle_day", sa.Date), sa.column("reason_code", sa.String),
    sa.column("segment", sa.String), sa.column("fired_value", sa.Float), sa.column("threshold", sa.Float),
    sa.column("margin", sa.Float), sa.column("co_firing", sa.JSON), sa.column("propensity", sa.Float),
    sa.column("edit_size", sa.Float),
)  # fmt: skip
CARDS = sa.table("escalation_cards", sa.column("id", sa.Integer), sa.column("signal_id", sa.Integer),
                 sa.column("dismiss_reason", sa.String))  # fmt: skip
OUTBOX = sa.table("outbox", sa.column("id", sa.Integer), sa.column("signal_id", sa.Integer))
ACCOUNTS = sa.table("accounts", sa.column("account_id", sa.String), sa.column("segment", sa.String))
SIGNALS = sa.table(
    "signals",
    sa.column("id", sa.Integer), sa.column("account_id", sa.String), sa.column("trigger", sa.String),
    sa.column("as_of", sa.Date), sa.column("details", sa.JSON), sa.column("config_version", sa.Integer),
)  # fmt: skip
CONFIGS = sa.table("trigger_configs", sa.column("version", sa.Integer), sa.column("body", sa.JSON))

# (config section, key, default, direction): margin = direction * (value - line).
LINES = {
    "health_low": ("score", "health_low", "threshold", 60, -1),
    "health_drop": ("drop", "health_drop", "drop_fraction", 0.20, 1),
    "expansion_ready": ("expansion_readiness", "expansion_ready", "threshold", 80, 1),
    "renewal_risk": ("renewal_risk", "renewal_risk", "high_risk", 0.30, 1),
    "renewal_reminder": ("renewal_risk", "renewal_reminder", "low_risk", 0.15, -1),
    "onboarding_stalled": ("overdue_days", "onboarding_stalled", "grace_days", 3, 1),
}


def upgrade() -> None:
    with op.batch_alter_table("override_log") as batch:
        batch.add_column(sa.Column("signal_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cycle_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("reason_code", sa.String(32), nullable=True))
        batch.add_column(sa.Column("segment", sa.String(16), nullable=True))
        batch.add_column(sa.Column("fired_value", sa.Float(), nullable=True))
        batch.add_column(sa.Column("threshold", sa.Float(), nullable=True))
        batch.add_column(sa.Column("margin", sa.Float(), nullable=True))
        batch.add_column(sa.Column("co_firing", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("propensity", sa.Float(), nullable=True))
        batch.add_column(sa.Column("edit_size", sa.Float(), nullable=True))
        batch.create_foreign_key("fk_override_log_signal_id", "signals", ["signal_id"], ["id"])
        batch.create_index("ix_override_log_cycle_day", ["cycle_day"], unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("override_log") as batch:
        batch.drop_index("ix_override_log_cycle_day")
        batch.drop_constraint("fk_override_log_signal_id", type_="foreignkey")
        for name in ("edit_size", "propensity", "co_firing", "margin", "threshold", "fired_value",
                     "segment", "reason_code", "cycle_day", "signal_id"):  # fmt: skip
            batch.drop_column(name)


def _backfill(connection: sa.Connection) -> None:
    bodies = {version: body for version, body in connection.execute(sa.select(CONFIGS.c.version, CONFIGS.c.body))}
    query = (
        sa.select(
            OVERRIDES.c.id, OVERRIDES.c.action, OVERRIDES.c.account_id, OVERRIDES.c.card_id,
            OVERRIDES.c.outbox_id, OVERRIDES.c.proposed_draft, OVERRIDES.c.edited_text,
            CARDS.c.dismiss_reason, sa.func.coalesce(CARDS.c.signal_id, OUTBOX.c.signal_id).label("found_signal"),
            ACCOUNTS.c.segment,
        )  # fmt: skip
        .select_from(OVERRIDES)
        .outerjoin(CARDS, CARDS.c.id == OVERRIDES.c.card_id)
        .outerjoin(OUTBOX, OUTBOX.c.id == OVERRIDES.c.outbox_id)
        .outerjoin(ACCOUNTS, ACCOUNTS.c.account_id == OVERRIDES.c.account_id)
        .order_by(OVERRIDES.c.id)
    )
    last = 0
    while True:
        rows = connection.execute(query.where(OVERRIDES.c.id > last).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        updates = _updates(connection, rows, bodies)
        if updates:
            # executemany: each dict's other keys name the columns it sets
            connection.execute(sa.update(OVERRIDES).where(OVERRIDES.c.id == sa.bindparam("row_id")), updates)


def _updates(connection: sa.Connection, rows: Sequence[Any], bodies: dict[int, Any]) -> list[dict[str, Any]]:
    signal_ids = sorted({row.found_signal for row in rows if row.found_signal is not None})
    signals = {}
    if signal_ids:
        found = connection.execute(sa.select(SIGNALS).where(SIGNALS.c.id.in_(signal_ids))).all()
        signals = {signal.id: signal for signal in found}
    fired_together: dict[tuple[str, Any], list[str]] = defaultdict(list)
    if signals:
        accounts = sorted({s.account_id for s in signals.values()})
        days = sorted({s.as_of for s in signals.values()})
        same_day = sa.select(SIGNALS.c.account_id, SIGNALS.c.as_of, SIGNALS.c.trigger).where(
            SIGNALS.c.account_id.in_(accounts), SIGNALS.c.as_of.in_(days)
        )
        for account_id, as_of, trigger in connection.execute(same_day):
            fired_together[(account_id, as_of)].append(trigger)
    updates = []
    for row in rows:
        signal = signals.get(row.found_signal)
        value, line, margin = _figures(signal, bodies) if signal is not None else (None, None, None)
        edited = row.action == "edited" and row.edited_text is not None
        updates.append(
            {
                "row_id": row.id,
                "signal_id": row.found_signal,
                "cycle_day": signal.as_of if signal is not None else None,
                "reason_code": row.dismiss_reason if row.action == "dismissed" else None,
                "segment": row.segment,
                "fired_value": value,
                "threshold": line,
                "margin": margin,
                "co_firing": sorted(t for t in fired_together[(signal.account_id, signal.as_of)] if t != signal.trigger)
                if signal is not None else None,
                "propensity": 1.0 if row.card_id is not None or row.outbox_id is not None else None,
                "edit_size": edit_size(row.proposed_draft or "", row.edited_text) if edited else None,
            }
        )  # fmt: skip
    return updates


def _figures(signal: Any, bodies: dict[int, Any]) -> tuple[float | None, float | None, float | None]:
    """(value, threshold, margin) from a signal's details as triggers wrote them before 0010."""
    details = signal.details if isinstance(signal.details, dict) else {}
    if all(isinstance(details.get(key), int | float) for key in ("value", "threshold", "margin")):
        return float(details["value"]), float(details["threshold"]), float(details["margin"])
    known = LINES.get(signal.trigger)
    if known is None or not isinstance(details.get(known[0]), int | float):
        return None, None, None
    value_key, section, key, default, direction = known
    triggers = (bodies.get(signal.config_version) or {}).get("triggers", {})
    line = details.get("threshold") if signal.trigger == "health_low" else None
    if not isinstance(line, int | float):
        line = (triggers.get(section) or {}).get(key, default)
    value = float(details[value_key])
    return value, float(line), round(direction * (value - float(line)), 4)
