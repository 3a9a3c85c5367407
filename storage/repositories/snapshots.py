"""Health snapshots: one per account per scoring day, the score changes digests show, and each
account's latest score (what a configuration change would act on).

The `factors` column holds {"factors": {name: {score, weight, detail, data_points}},
"notes": [...]}: the factor breakdown plus the data-quality notes of that day's score.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from json.encoder import encode_basestring_ascii as _text  # what json.dumps writes a str with
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, and_, delete, func, select
from sqlalchemy.orm import Session

from scoring.trigger_alignment import ScoredAccount
from scoring.types import HealthResult
from storage.models import Account, HealthSnapshot

if TYPE_CHECKING:
    import psycopg

DELETE_CHUNK = 900
SNAPSHOTS = cast(Table, HealthSnapshot.__table__)
CHANGE_TOLERANCE_DAYS = 3  # a missing day falls back to the closest earlier snapshot


def save_snapshots(session: Session, *, results: Sequence[HealthResult], config_version: int | None) -> int:
    """Write the results; rerunning the same day replaces that day's rows (returns rows written).

    Portable on both backends: a bulk delete of those (account, as_of) pairs, then one bulk
    insert. A result given twice for the same account and day keeps the last one.
    """
    latest = {(result.account_id, result.as_of): result for result in results}
    by_day: dict[date, list[str]] = {}
    for account_id, as_of in latest:
        by_day.setdefault(as_of, []).append(account_id)
    for day, ids in by_day.items():
        for start in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[start : start + DELETE_CHUNK]
            session.execute(
                delete(HealthSnapshot).where(
                    HealthSnapshot.as_of == day, HealthSnapshot.account_id.in_(chunk)
                )
            )
    rows = [_row(result, config_version) for result in latest.values()]
    if rows:
        session.connection().execute(SNAPSHOTS.insert(), rows)  # Core executemany: no ORM bookkeeping
    return len(rows)


def replace_day(
    session: Session, *, as_of: date, results: Sequence[HealthResult], config_version: int | None
) -> int:
    """The whole book's snapshots for one day: that day's rows are deleted in one statement
    (not in IN-list chunks) and the results inserted through the driver's bulk path. For the
    bulk pass, which scores every account; a day's snapshot of an account that no longer
    exists goes with it."""
    if any(result.as_of != as_of for result in results):
        raise ValueError(f"every result must be for {as_of.isoformat()}")
    session.execute(delete(HealthSnapshot).where(HealthSnapshot.as_of == as_of))
    if results:
        _bulk_insert(session.connection(), [_values(result, config_version) for result in results])
    return len(results)


BULK_COLUMNS = (
    "account_id", "as_of", "score", "band", "confidence", "factors", "explanation",
    "config_version", "expansion_readiness", "renewal_risk",
)  # fmt: skip


def _values(result: HealthResult, config_version: int | None) -> tuple[Any, ...]:
    """One row in BULK_COLUMNS order, `factors` as the JSON text the column's type writes."""
    return (
        result.account_id,
        result.as_of,
        result.score,
        result.band.value,
        result.confidence,
        _factors_json(result),
        result.explanation,
        config_version,
        result.expansion_readiness,
        result.renewal_risk,
    )


def _factors_json(result: HealthResult) -> str:
    """`json.dumps` of `_row`'s factors, character for character (strings escaped by json's own
    encoder, numbers by their repr, json's default separators), written straight out: at
    100,000 rows the nested dicts and the general-purpose encoder cost seconds. A test holds
    the two equal."""
    factors = ", ".join(
        [
            f'{_text(f.name)}: {{"score": {round(f.score, 2)!r}, "weight": {round(f.weight, 4)!r}, '
            f'"detail": {_text(f.detail)}, "data_points": {f.data_points!r}}}'
            for f in result.factors
        ]
    )
    notes = ", ".join([_text(note) for note in result.notes])
    return f'{{"factors": {{{factors}}}, "notes": [{notes}]}}'


def _bulk_insert(connection: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Rows straight to the driver, inside the session's transaction: COPY on PostgreSQL, one
    prepared INSERT run over every row on SQLite. 100,000 rows through Core's executemany spent
    most of their time in per-row parameter processing; these paths skip it."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    names = ", ".join(BULK_COLUMNS)
    if connection.dialect.name == "postgresql":
        pg = cast("psycopg.Connection[Any]", raw)
        with pg.cursor() as pg_cursor, pg_cursor.copy(f"COPY {SNAPSHOTS.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    as_of = BULK_COLUMNS.index("as_of")  # SQLAlchemy's Date on SQLite: ISO text
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {SNAPSHOTS.name} ({names}) VALUES ({', '.join('?' * len(BULK_COLUMNS))})",
            [(*row[:as_of], row[as_of].isoformat(), *row[as_of + 1 :]) for row in rows],
        )
    finally:
        cursor.close()


def _row(result: HealthResult, config_version: int | None) -> dict[str, Any]:
    return {
        "account_id": result.account_id,
        "as_of": result.as_of,
        "score": result.score,
        "band": result.band.value,
        "confidence": result.confidence,
        "factors": {
            "factors": {
                f.name: {
                    "score": round(f.score, 2),
                    "weight": round(f.weight, 4),
                    "detail": f.detail,
                    "data_points": f.data_points,
                }
                for f in result.factors
            },
            "notes": list(result.notes),
        },
        "explanation": result.explanation,
        "config_version": config_version,
        "expansion_readiness": result.expansion_readiness,
        "renewal_risk": result.renewal_risk,
    }


def snapshots_on(session: Session, *, as_of: date) -> dict[str, HealthSnapshot]:
    return {
        snap.account_id: snap
        for snap in session.scalars(select(HealthSnapshot).where(HealthSnapshot.as_of == as_of))
    }


def score_changes(session: Session, *, as_of: date, days: int) -> dict[str, tuple[int, int]]:
    """account_id -> (score `days` before as_of, score on as_of), for the digest's movers.

    A missing day falls back to the closest earlier snapshot within CHANGE_TOLERANCE_DAYS;
    accounts without a snapshot on as_of or without an earlier one are left out.
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    then = as_of - timedelta(days=days)
    rows = session.execute(
        select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score).where(
            (HealthSnapshot.as_of == as_of)
            | (
                (HealthSnapshot.as_of <= then)
                & (HealthSnapshot.as_of >= then - timedelta(days=CHANGE_TOLERANCE_DAYS))
            )
        )
    )
    today: dict[str, int] = {}
    before: dict[str, tuple[date, int]] = {}
    for account_id, day, score in rows:
        if day == as_of:
            today[account_id] = score
        elif account_id not in before or day > before[account_id][0]:
            before[account_id] = (day, score)
    return {
        account_id: (before[account_id][1], score)
        for account_id, score in today.items()
        if account_id in before
    }


def score_history(session: Session, *, account_id: str, since: date) -> list[tuple[date, int]]:
    rows = session.execute(
        select(HealthSnapshot.as_of, HealthSnapshot.score)
        .where(HealthSnapshot.account_id == account_id, HealthSnapshot.as_of >= since)
        .order_by(HealthSnapshot.as_of)
    )
    return [(day, score) for day, score in rows]


def scores_near(session: Session, *, day: date, tolerance_days: int) -> dict[str, int]:
    """account_id -> the stored score closest to `day` (within `tolerance_days` either side;
    on a tie the earlier day), for the accounts that have one."""
    rows = session.execute(
        select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score).where(
            HealthSnapshot.as_of >= day - timedelta(days=tolerance_days),
            HealthSnapshot.as_of <= day + timedelta(days=tolerance_days),
        )
    )
    best: dict[str, tuple[int, date, int]] = {}
    for account_id, as_of, score in rows:
        candidate = (abs((as_of - day).days), as_of, int(score))
        if account_id not in best or candidate < best[account_id]:
            best[account_id] = candidate
    return {account_id: score for account_id, (_, _, score) in best.items()}


def latest_scores(session: Session) -> list[ScoredAccount]:
    """Every account's newest snapshot (whatever its day: an account scored alone later, by a
    manual flag, keeps the others' day), with the account's segment and factor breakdown."""
    newest = (
        select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            HealthSnapshot.account_id,
            Account.segment,
            HealthSnapshot.as_of,
            HealthSnapshot.score,
            HealthSnapshot.factors,
            HealthSnapshot.expansion_readiness,
        )
        .join(
            newest,
            and_(HealthSnapshot.account_id == newest.c.account_id, HealthSnapshot.as_of == newest.c.as_of),
        )
        .join(Account, Account.account_id == HealthSnapshot.account_id)
        .order_by(HealthSnapshot.account_id)
    )
    return [
        ScoredAccount(
            account_id=account_id,
            segment=segment,
            as_of=as_of,
            score=int(score),
            factors={
                name: (float(factor["score"]), float(factor["weight"]))
                for name, factor in (factors or {}).get("factors", {}).items()
            },
            expansion_readiness=readiness,
        )
        for account_id, segment, as_of, score, factors, readiness in rows
    ]


def latest_score(session: Session, *, account_id: str, on_or_before: date) -> int | None:
    """The account's newest stored score up to `on_or_before`, or None when it has none."""
    score = session.scalar(
        select(HealthSnapshot.score)
        .where(HealthSnapshot.account_id == account_id, HealthSnapshot.as_of <= on_or_before)
        .order_by(HealthSnapshot.as_of.desc())
        .limit(1)
    )
    return int(score) if score is not None else None
