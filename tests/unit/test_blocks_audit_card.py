"""The audit card builder: the question, the near miss and its line, two answers, no draft."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from bot.blocks.audit_card import QUESTION, build_audit_card_message
from bot.blocks.slack_dates import slack_time
from bot.ids import AuditAction, AuditBlock, CardAction
from bot.workflows.audit.view import AuditCardView
from tests.support.block_limits import block_problems

PENDING = AuditCardView(
    card_id=7,
    state="pending",
    account_id="ACC-0007",
    account_name="Globex <Labs>",
    segment="mid_market",
    arr=48_000.0,
    trigger="health_low",
    summary="Health 63: health_low fires below 60.",
    score=63,
    band="yellow",
    as_of=date(2026, 3, 2),
    propensity=0.05,
    recipient_slack_id="U123",
    decided_by=None,
    decided_at=None,
    explanation="Yellow (63): support pulls it down most — 3 tickets in 30 days",
)


def _actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_pending_audit_card_asks_with_two_answers_and_no_draft() -> None:
    text, blocks = build_audit_card_message(PENDING)
    assert block_problems(blocks) == []
    assert text == "Globex &lt;Labs&gt;: audit · health low nearly fired · health 63 (yellow)"
    shown = str(blocks)
    assert QUESTION == "Tandem would not have flagged this one. Worth a look?" and QUESTION in shown
    assert "Health 63: health_low fires below 60." in shown and "`health_low`" in shown
    assert "about 1 in 20" in shown and "Nothing is sent to the customer" in shown
    elements = _actions(blocks)
    assert [(e["text"]["text"], e["action_id"], e["value"]) for e in elements] == [
        ("Worth a look", AuditAction.WORTH_A_LOOK, "7"),
        ("Not needed", AuditAction.NOT_NEEDED, "7"),
    ]
    assert next(b for b in blocks if b["type"] == "actions")["block_id"] == AuditBlock.ACTIONS
    assert not any(e["action_id"] in set(CardAction) for e in elements)
    assert "Proposed message" not in shown and "Drafted by" not in shown


def test_an_answered_audit_card_says_who_answered_and_has_no_buttons() -> None:
    at = datetime(2026, 3, 2, 9, 14, tzinfo=UTC)
    for state, words in (
        ("worth_a_look", "👀 Worth a look, said <@U9>"),
        ("not_needed", "👍 Not needed, said <@U9>"),
    ):
        text, blocks = build_audit_card_message(replace(PENDING, state=state, decided_by="U9", decided_at=at))
        assert _actions(blocks) == []
        assert f"{words} at {slack_time(at)}" in str(blocks) and words in text


def test_an_audit_card_closed_otherwise_says_so_without_buttons() -> None:
    _, blocks = build_audit_card_message(replace(PENDING, state="superseded", decided_by="U9"))
    assert "Closed (superseded) by <@U9>" in str(blocks) and _actions(blocks) == []
