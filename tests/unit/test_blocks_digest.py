"""The digest builder: what a CSM reads first thing, within Slack's limits."""

from __future__ import annotations

from datetime import date

from bot.blocks.digest import (
    MAX_LISTED,
    DigestAccount,
    DigestItem,
    DigestMover,
    DigestView,
    build_digest_message,
)
from bot.posting import render_blocks


def _view(**overrides: object) -> DigestView:
    base: dict[str, object] = {
        "user_slack_id": "U0CSM001",
        "user_name": "Ana Lima",
        "local_day": date(2026, 3, 2),
        "band_counts": {"green": 30, "yellow": 6, "red": 4},
    }
    base.update(overrides)
    return DigestView(**base)  # type: ignore[arg-type]


def test_digest_greets_and_counts_bands() -> None:
    text, blocks = build_digest_message(_view())
    assert "40 accounts" in text and "4 red" in text
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "Good morning, Ana"
    assert "🔴 4 red" in blocks[1]["elements"][0]["text"]
    assert "Nothing needs you today" in render_blocks("U0CSM001", text, blocks)


def test_digest_lists_red_accounts_movers_and_pending_cards() -> None:
    view = _view(
        red_accounts=(DigestAccount("A1", "Acme <Corp>", 41, "red", "usage pulls the score down most"),),
        movers=(DigestMover("A2", "Globex", 80, 62),),
        pending_cards=(
            DigestItem("A1", "Acme <Corp>", "health_low · assist, waiting since 02 Mar 06:00 UTC"),
        ),
        held=(DigestItem("A3", "Initech", "On hold: security incident reported 3 days ago."),),
    )
    text, blocks = build_digest_message(view)
    rendered = render_blocks("U0CSM001", text, blocks)
    assert "Acme &lt;Corp&gt;" in rendered  # customer names are escaped for mrkdwn
    assert "80 → 62 (-18)" in rendered
    assert "Waiting for you (1)" in rendered
    assert "On hold: security incident" in rendered
    assert "Nothing needs you today" not in rendered


def test_long_lists_are_cut_with_a_count_and_stay_within_limits() -> None:
    reds = tuple(DigestAccount(f"A{i}", f"Account {i}", 30, "red", "x" * 400) for i in range(40))
    text, blocks = build_digest_message(_view(red_accounts=reds))
    section = next(b for b in blocks if b["type"] == "section" and "Red accounts" in b["text"]["text"])
    assert f"…and {40 - MAX_LISTED} more" in section["text"]["text"]
    assert len(section["text"]["text"]) <= 3000
    assert len(blocks) <= 50 and len(text) <= 40000
