"""The channel card and ops' channels section: rendered from state, within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.blocks.channel_link import (
    ChannelView,
    StoredView,
    build_link_modal,
    build_proposal_card,
    ops_channels_section,
)
from bot.ids import ChannelLinkAction
from storage.enums import ChannelState
from tests.support.block_limits import block_problems, view_problems

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROPOSED = ChannelView("C0ACME001", "acme-<vendor>", ChannelState.PROPOSED, "ACC-1", "Acme & Co", "U0CSM001",
                       "2 of 3 external members with an email have @acme.com", None, None, 90)  # fmt: skip


def _actions(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_card_follows_the_state_and_escapes_names() -> None:
    text, blocks = build_proposal_card(PROPOSED)
    assert text == "Link #acme-<vendor> to Acme & Co?" and not block_problems(blocks)
    assert "#acme-&lt;vendor&gt;" in json.dumps(blocks) and "*Acme &amp; Co*" in json.dumps(blocks)
    assert _actions(blocks) == [ChannelLinkAction.LINK, ChannelLinkAction.NOT_THIS, ChannelLinkAction.EXCLUDE]
    linked = ChannelView(
        **{**PROPOSED.__dict__, "state": ChannelState.LINKED, "decided_by": "U0OPS001", "decided_at": AT}
    )
    _, blocks = build_proposal_card(linked)
    assert "by <@U0OPS001> on <!date^" in json.dumps(blocks)
    assert _actions(blocks) == [ChannelLinkAction.UNLINK, ChannelLinkAction.EXCLUDE]
    excluded = ChannelView(**{**linked.__dict__, "state": ChannelState.EXCLUDED})
    assert _actions(build_proposal_card(excluded)[1]) == []


def test_ops_section_stays_small_and_the_modal_is_valid() -> None:
    many = [StoredView(PROPOSED, 40, 12, AT, AT) for _ in range(30)]
    blocks = ops_channels_section(many, counts={"proposed": 30}, hidden=0)
    assert len(blocks) <= 1 + 2 * 8 + 1 and not block_problems(blocks)
    assert "…and 22 more channels." in json.dumps(blocks[-1], ensure_ascii=False)
    assert not view_problems(build_link_modal(PROPOSED))
