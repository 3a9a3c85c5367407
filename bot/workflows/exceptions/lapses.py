"""The cycle's part in account exceptions: record the ones that lapsed today, and why.

`scoring.exceptions` decides a lapse purely (expired, the score worse, another trigger acting,
a crisis); this writes it once: a guarded update on `active`, so a rerun of the day, which no
longer sees the exception in force, changes nothing. Each lapse is an override-log row
(`exception_lapsed`, or `exception_expired` when its days ran out), and the exception's row
keeps the sentence, for explain and App Home.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.deps import Deps
from scoring.exceptions import Lapse, LapseReason
from storage.db import transaction
from storage.repositories import account_exceptions, overrides


def record_lapses(deps: Deps, lapses: Sequence[Lapse]) -> int:
    """Record each lapse once; returns how many this call recorded."""
    if not lapses:
        return 0
    now = deps.clock.now()
    recorded = 0
    with transaction(deps.session_factory) as session:
        for lapse in lapses:
            exception_id = lapse.exception.exception_id
            if not account_exceptions.lapse(
                session, exception_id=exception_id, reason=lapse.reason.value, detail=lapse.sentence, now=now
            ):
                continue  # lifted meanwhile, or recorded by another run
            row = account_exceptions.get(session, exception_id=exception_id)
            assert row is not None  # just updated
            action = "exception_expired" if lapse.reason is LapseReason.EXPIRED else "exception_lapsed"
            overrides.record_exception(
                session,
                exception=row,
                action=action,
                actor=overrides.SYSTEM_ACTOR,
                now=now,
                reason=lapse.sentence,
            )
            recorded += 1
    return recorded
