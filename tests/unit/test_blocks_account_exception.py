"""The exception offer and App Home's list: rendered from state, escaped, within Slack's limits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from bot.blocks.account_exception import ExceptionView, build_offer_message, home_sections
from bot.blocks.home import build_home_view
from bot.blocks.slack_dates import plain_dates
from bot.ids import ExceptionAction
from tests.support.block_limits import block_problems, view_problems

OFFER = ExceptionView(
    exception_id=7,
    state="offered",
    account_id="ACC-1",
    account_name="Acme <!channel> & Co",
    trigger="health_low",
    quiet_days=90,
    lapse_points=8,
    score=48,
    dismissals=(date(2026, 2, 10), date(2026, 3, 2)),
)
SET = replace(OFFER, state="active", set_by="U0CSM001", set_on=date(2026, 3, 2), expires_on=date(2026, 5, 31))


def test_an_offer_has_its_two_buttons_carrying_only_the_id() -> None:
    text, blocks = build_offer_message(OFFER)
    assert block_problems(blocks) == []
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ExceptionAction.ACCEPT, "7"),
        (ExceptionAction.DECLINE, "7"),
    ]
    body = json.dumps(blocks, ensure_ascii=False)
    assert "&lt;!channel&gt; &amp; Co" in body and "<!channel>" not in body and "<!channel>" not in text
    assert "twice (2026-02-10 and 2026-03-02)" in plain_dates(body) and "to 40 or lower, from 48 now" in body


def test_an_answered_offer_says_who_answered_instead_of_buttons() -> None:
    _, blocks = build_offer_message(SET)
    assert not any(b["type"] == "actions" for b in blocks)
    assert "🔕 Quiet until it gets worse: set by <@U0CSM001> on 2026-03-02" in plain_dates(
        json.dumps(blocks, ensure_ascii=False)
    )
    declined = replace(
        OFFER, state="declined", declined_by="U0CSM001", ended_at=datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert "No thanks from <@U0CSM001>" in build_offer_message(declined)[0]


def test_app_home_lists_at_most_twenty_with_lift_and_stays_a_valid_view() -> None:
    views = [replace(SET, exception_id=n) for n in range(1, 26)]
    blocks = home_sections(views, everyone=True)
    lifts = [
        b["accessory"]["value"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == ExceptionAction.LIFT
    ]
    assert lifts == [str(n) for n in range(1, 21)]
    assert "(25 on every account)" in blocks[0]["text"]["text"] and "…and 5 more" in json.dumps(
        blocks[-1], ensure_ascii=False
    )
    assert view_problems(build_home_view(None, exceptions=views, every_account=True)) == []
