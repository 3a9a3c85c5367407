"""The trigger-tuning blocks: buttons by state, escaping, Slack's limits, splicing one proposal."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.blocks.slack_dates import plain_dates
from bot.blocks.tuning import (
    MESSAGE_SHOWN,
    ProposalView,
    build_tuning_message,
    group_ids,
    proposal_group,
    refresh_groups,
)
from bot.blocks.tuning_modals import details_modal, reject_metadata, reject_modal
from bot.slack_payloads import MalformedRequest
from tests.support.block_limits import block_problems, view_problems

REPLAY = {
    "since": "2025-12-02", "as_of": "2026-03-02", "csms": 2, "weeks": 12.9, "cards_before": 40,
    "cards_after": 26, "per_csm_week_before": 1.6, "per_csm_week_after": 1.0,
    "removed": [{"card_id": i, "account_id": f"ACC-{i}", "day": "2026-02-10", "decision": "approved"} for i in range(60)],
    "removed_by_decision": {"approved": 60}, "missed_churn": [{"account_id": "ACC-9", "name": "Beta <!channel>", "day": "2026-02-20"}],
}  # fmt: skip


def _view(proposal_id: int = 1, state: str = "proposed", **kw: Any) -> ProposalView:
    fields: dict[str, Any] = {
        "proposal_id": proposal_id, "title": "health_low × smb: below 55 <@U0EVIL>", "kind": "threshold",
        "state": state, "config_version": 7, "parent_version": 6, "sentences": ("One <!here> sentence.",),
        "replay": REPLAY,
    } | kw  # fmt: skip
    return ProposalView(**fields)


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize(
    ("state", "extra", "buttons"),
    [
        ("proposed", {}, ["Accept", "Shadow 2 weeks", "Reject", "Details"]),
        (
            "shadowing",
            {"shadow_until": date(2026, 3, 16), "decided_by": "U0OPS001"},
            ["Accept", "Reject", "Details"],
        ),
        ("accepted", {"decided_by": "U0OPS001", "can_roll_back": True}, ["Roll back", "Details"]),
        ("accepted", {"decided_by": "U0OPS001", "can_roll_back": False}, []),
        ("rejected", {"decided_by": "U0OPS001", "reason": "not now"}, []),
        ("rolled_back", {"rolled_back_by": "U0OPS001"}, []),
    ],
)
def test_buttons_follow_the_state(state: str, extra: dict[str, Any], buttons: list[str]) -> None:
    assert _buttons(proposal_group(_view(state=state, **extra))) == buttons


def test_text_is_escaped_and_the_only_mentions_are_deciders() -> None:
    view = _view(state="accepted", decided_by="U0OPS001", decided_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    text = json.dumps(proposal_group(view), ensure_ascii=False)
    assert "<@U0EVIL>" not in text and "<!here>" not in text and "&lt;@U0EVIL&gt;" in text
    assert "Accepted by <@U0OPS001> on 2026-03-02: configuration v7 became active." in plain_dates(text)
    modal = json.dumps(details_modal(_view(), names={}), ensure_ascii=False)
    assert "<!channel>" not in modal and "Beta &lt;!channel&gt;" in modal


def test_a_full_message_and_its_modals_fit_slacks_limits() -> None:
    views = [_view(i) for i in range(1, 30)]
    _, blocks = build_tuning_message(views, drift=["x" * 400] * 20, as_of=date(2026, 3, 2))
    assert block_problems(blocks) == []
    assert group_ids(blocks) == list(range(1, MESSAGE_SHOWN + 1))
    assert view_problems(details_modal(_view(), names={f"ACC-{i}": "N" * 200 for i in range(60)})) == []
    assert view_problems(reject_modal(proposal_id=1, title="t" * 5000, channel="D1234", ts="1.2")) == []


def test_refresh_replaces_only_the_rendered_groups() -> None:
    _, blocks = build_tuning_message([_view(1), _view(2)], drift=["a drift"])
    fresh = refresh_groups(
        blocks, lambda pid: proposal_group(_view(pid, state="rejected", reason="no")) if pid == 2 else None
    )
    assert fresh[: len(blocks) - 3] == blocks[: len(blocks) - 3]  # header, intro, #1 untouched
    assert _buttons(fresh) == ["Accept", "Shadow 2 weeks", "Reject", "Details"]
    assert fresh[-1] == blocks[-1] and "Rejected by" in json.dumps(fresh)


def test_reject_metadata_is_ours_or_a_400() -> None:
    assert reject_metadata("12") == (12, None, None)
    assert reject_metadata("12|D024BE91L|1726133700.887259") == (12, "D024BE91L", "1726133700.887259")
    for bad in ("", "x", "12|D1", "12|nope|1.2", "12|D024BE91L|abc", "0", None, "12|D024BE91L|1.2|x"):
        with pytest.raises(MalformedRequest):
            reject_metadata(bad)
    assert (
        json.loads(json.dumps(reject_modal(proposal_id=3, title="t", channel="bad", ts="1.2")))[
            "private_metadata"
        ]
        == "3"
    )
