"""Signals and drafts on both backends: idempotent recording (reruns, races, rollbacks),
JSON-safe details, and the draft cache."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.models import Account, Draft, User
from storage.models import Signal as SignalRow
from storage.repositories import signals as signals_repo
from storage.repositories.drafts import find_cached_draft, get_draft, save_draft
from storage.repositories.signals import json_safe, record_signal, signals_for_account
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def decision(
    trigger: TriggerKey = TriggerKey.HEALTH_LOW, route: Route = Route.ASSIST, **details: object
) -> Decision:
    return Decision(
        signal=Signal("A1", trigger, "Health 48 (red): usage is the weakest factor", dict(details)),
        route=route,
        reasons=(
            Reason("matrix_high_value", "Human with automation assist."),
            Reason("arr_share_above_limit", "Human review: Acme is 3.1% of total ARR."),
        ),
        notify_manager=True,
    )


@pytest.fixture
def book(db: Database) -> Database:
    with db.session_factory() as session, session.begin():
        session.add(User(slack_id="U1", name="Ana", role="csm", timezone="UTC", digest_time="08:30"))
        session.flush()
        session.add(Account(account_id="A1", name="Acme", segment="smb", arr=1.0, owner_slack_id="U1"))
    return db


def signal_count(db: Database) -> int:
    with db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(SignalRow)) or 0


def test_record_signal_round_trips(book: Database) -> None:
    local_now = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    with book.session_factory() as session, session.begin():
        row, created = record_signal(
            session, decision=decision(), as_of=AS_OF, now=local_now, config_version=4
        )
        signal_id = row.id

    with book.session_factory() as session:
        stored = session.get(SignalRow, signal_id)

    assert created
    assert stored is not None
    assert (stored.account_id, stored.trigger, stored.as_of, stored.route) == (
        "A1",
        "health_low",
        AS_OF,
        "assist",
    )
    assert stored.fired_at == NOW and stored.fired_at.utcoffset() == timedelta(0)
    assert stored.config_version == 4
    assert stored.summary.startswith("Health 48")
    assert stored.reasons == {
        "codes": ["matrix_high_value", "arr_share_above_limit"],
        "sentences": ["Human with automation assist.", "Human review: Acme is 3.1% of total ARR."],
    }
    assert stored.details == {"notify_manager": True, "celebratory_tone_blocked": False, "suppressed": False}


def test_record_signal_is_idempotent_per_account_trigger_and_day(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        first, created = record_signal(session, decision=decision(), as_of=AS_OF, now=NOW, config_version=1)
        first_id = first.id
    with book.session_factory() as session, session.begin():
        again, created_again = record_signal(
            session,
            decision=decision(route=Route.AUTO),
            as_of=AS_OF,
            now=NOW + timedelta(hours=1),
            config_version=2,
        )
        assert (again.id, again.route, again.config_version) == (first_id, "assist", 1)
        other_trigger, new_trigger = record_signal(
            session, decision=decision(TriggerKey.SENTIMENT), as_of=AS_OF, now=NOW, config_version=1
        )
        next_day, new_day = record_signal(
            session, decision=decision(), as_of=AS_OF + timedelta(days=1), now=NOW, config_version=1
        )

    assert created and not created_again
    assert new_trigger and new_day
    assert len({first_id, other_trigger.id, next_day.id}) == 3
    assert signal_count(book) == 3


def test_record_signal_when_another_run_inserted_it_first(
    book: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with book.session_factory() as session, session.begin():
        first, _ = record_signal(session, decision=decision(), as_of=AS_OF, now=NOW, config_version=1)
        first_id = first.id

    real_find = signals_repo._find
    calls: list[int] = []

    def blind_first_look(*args: object) -> SignalRow | None:
        calls.append(1)
        return None if len(calls) == 1 else real_find(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(signals_repo, "_find", blind_first_look)
    with book.session_factory() as session, session.begin():
        row, created = record_signal(session, decision=decision(), as_of=AS_OF, now=NOW, config_version=1)
        assert (row.id, created) == (first_id, False)
        # The conflict did not poison the transaction: the session still works.
        later, later_created = record_signal(
            session, decision=decision(TriggerKey.COMPLEXITY), as_of=AS_OF, now=NOW, config_version=1
        )

    assert later_created and later.id != first_id
    assert signal_count(book) == 2


def test_record_signal_rolls_back_with_the_callers_transaction(book: Database) -> None:
    with book.session_factory() as session:
        session.execute(select(SignalRow.id)).all()  # a read first, as a cycle does
        record_signal(session, decision=decision(), as_of=AS_OF, now=NOW, config_version=1)
        session.rollback()

    assert signal_count(book) == 0


def test_record_signal_stores_json_safe_details(book: Database) -> None:
    details = {
        "as_of": AS_OF,
        "at": datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
        "band": Route.HOLD,
        "kinds": {"merger", "layoffs"},
        "drop": Decimal("12.5"),
        "ratio": math.nan,
        "history": ((AS_OF, 48),),
    }
    with book.session_factory() as session, session.begin():
        row, _ = record_signal(
            session, decision=decision(**details), as_of=AS_OF, now=NOW, config_version=None
        )
        signal_id = row.id

    with book.session_factory() as session:
        stored = session.get(SignalRow, signal_id)

    assert stored is not None
    assert stored.details == {
        "as_of": "2026-03-02",
        "at": "2026-03-01T23:00:00+00:00",
        "band": "hold",
        "kinds": ["layoffs", "merger"],
        "drop": 12.5,
        "ratio": None,
        "history": [["2026-03-02", 48]],
        "notify_manager": True,
        "celebratory_tone_blocked": False,
        "suppressed": False,
    }
    assert stored.config_version is None


class Opaque:
    def __str__(self) -> str:
        return "opaque thing"


def test_json_safe_keeps_plain_values_and_stringifies_the_unknown() -> None:
    assert json_safe({"n": 1, "ok": True, "none": None, 3: "x"}) == {
        "n": 1,
        "ok": True,
        "none": None,
        "3": "x",
    }
    assert json_safe([Opaque(), math.inf]) == ["opaque thing", None]
    assert json_safe(Reason("code", "sentence")) == {"code": "code", "sentence": "sentence"}


def test_signals_for_account_since_a_day_oldest_first(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        for days_ago in (10, 3, 0):
            record_signal(
                session,
                decision=decision(),
                as_of=AS_OF - timedelta(days=days_ago),
                now=NOW,
                config_version=1,
            )

    with book.session_factory() as session:
        recent = signals_for_account(session, account_id="A1", since=AS_OF - timedelta(days=3))
        other = signals_for_account(session, account_id="A2", since=AS_OF - timedelta(days=30))

    assert [s.as_of for s in recent] == [AS_OF - timedelta(days=3), AS_OF]
    assert other == []


def _save(
    db: Database, *, kind: str = "check_in", prompt_version: str = "check_in@1", body: str = "Hi"
) -> int:
    with db.session_factory() as session, session.begin():
        draft = save_draft(
            session,
            account_id="A1",
            signal_id=None,
            kind=kind,
            subject="Checking in",
            body=body,
            author="llm:test-model",
            prompt_version=prompt_version,
            facts_hash="f" * 64,
            prompt_tokens=120,
            completion_tokens=80,
            needs_review="mentions a figure not in the facts",
            now=NOW,
        )
        return draft.id


def test_save_and_get_draft_round_trip(book: Database) -> None:
    draft_id = _save(book)

    with book.session_factory() as session:
        draft = get_draft(session, draft_id=draft_id)
        missing = get_draft(session, draft_id=draft_id + 1000)

    assert draft is not None and missing is None
    assert (draft.kind, draft.subject, draft.body, draft.author) == (
        "check_in",
        "Checking in",
        "Hi",
        "llm:test-model",
    )
    assert (draft.prompt_tokens, draft.completion_tokens) == (120, 80)
    assert draft.needs_review == "mentions a figure not in the facts"
    assert draft.created_at == NOW and draft.created_at.utcoffset() == timedelta(0)


def test_find_cached_draft_matches_hash_version_and_kind(book: Database) -> None:
    _save(book, body="older")
    newest = _save(book, body="newer")

    with book.session_factory() as session:
        hit = find_cached_draft(session, facts_hash="f" * 64, prompt_version="check_in@1", kind="check_in")
        other_version = find_cached_draft(
            session, facts_hash="f" * 64, prompt_version="check_in@2", kind="check_in"
        )
        other_kind = find_cached_draft(
            session, facts_hash="f" * 64, prompt_version="check_in@1", kind="brief"
        )
        other_hash = find_cached_draft(
            session, facts_hash="e" * 64, prompt_version="check_in@1", kind="check_in"
        )
        total = session.scalar(select(func.count()).select_from(Draft))

    assert hit is not None and (hit.id, hit.body) == (newest, "newer")
    assert other_version is None and other_kind is None and other_hash is None
    assert total == 2
