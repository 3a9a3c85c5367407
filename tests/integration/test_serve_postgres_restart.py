"""PostgreSQL restarted under `serve`: /healthz goes red, then green, and a click Slack retried
is decided once.

The cluster is the test's own (tests/support/private_postgres.py): the machine's shared server
is never restarted under other tests. `pg_ctl stop -m fast` cuts serve's pooled connections the
way a restart or a failover does; the click sent meanwhile must fail (Slack then retries it,
with X-Slack-Retry-Num) rather than be answered 200 and dropped.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select

from bot.ids import CardAction
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import EscalationCard, OverrideRecord
from tests.support.factories import OWNER, add_account, add_card, add_people
from tests.support.private_postgres import private_postgres
from tests.support.serve_process import SECRET, healthy, serve_process
from tests.support.slack_requests import Reply, SlackSender
from tests.support.slack_stand_in import running_stand_in
from tests.support.waiting import wait_for

CONNECT_TIMEOUT = "2"  # seconds serve waits for a connection (TANDEM_DB_CONNECT_TIMEOUT_SECONDS)


def _click(slack: SlackSender, card_id: int, *, retry: int | None = None) -> Reply | None:
    """Approve as Slack sends it (a retry carries X-Slack-Retry-Num); None: no answer in time."""
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"} if retry else {}
    try:
        return slack.block_action(
            CardAction.APPROVE, str(card_id), user_id=OWNER, channel_id="D0CSM001",
            message_ts="1700000000.000100", response_url="http://127.0.0.1:9/unused", headers=headers,
        )  # fmt: skip
    except OSError:  # Slack gives up after 3 s; the sender after 10
        return None


def test_postgres_restarted_under_serve_goes_red_then_green_and_loses_no_retried_click(
    tmp_path: Path,
) -> None:
    with private_postgres() as pg, running_stand_in() as api:
        engine = make_engine(pg.url)
        upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            add_people(session)
            add_account(session)
        card = add_card(factory)

        with serve_process(
            tmp_path, api.api_url, DATABASE_URL=pg.url, TANDEM_DB_CONNECT_TIMEOUT_SECONDS=CONNECT_TIMEOUT
        ) as served:
            slack = SlackSender(served.events_url, SECRET)
            assert healthy(served.port)
            stopped = time.monotonic()
            pg.stop()
            wait_for(lambda: not healthy(served.port, timeout=5), timeout=15)
            red_after = time.monotonic() - stopped

            during = _click(slack, card.card_id)
            assert during is None or during.status >= 500, (
                f"a click answered {during.status} while the database was down: Slack will not retry it"
            )

            pg.start()
            started = time.monotonic()
            wait_for(lambda: healthy(served.port, timeout=5), timeout=20)
            green_after = time.monotonic() - started

            retried = _click(slack, card.card_id, retry=1)
            assert retried is not None and retried.status == 200, retried
            again = _click(slack, card.card_id, retry=2)  # and Slack's next retry changes nothing
            assert again is not None and again.status == 200, again
            wait_for(lambda: api.calls_to("chat.update"), timeout=10)
            time.sleep(0.5)  # anything a second decision would do happens now
            log = served.output()

        with factory() as session:
            state = session.scalar(select(EscalationCard.state).where(EscalationCard.id == card.card_id))
            decisions = session.scalar(select(func.count()).select_from(OverrideRecord))
        engine.dispose()
    print(
        f"\n[restart] /healthz red {red_after:.1f} s after `pg_ctl stop -m fast`, "
        f"green {green_after:.1f} s after start; the click during: {during and during.status}"
    )
    assert state == "approved", log[-3000:]
    assert decisions == 1, f"{decisions} override-log rows for one click and its retries"
    assert len(api.calls_to("chat.update")) == 1, "the card was updated twice"
