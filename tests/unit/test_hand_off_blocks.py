"""The hand-off packet's pure parts: the draft as talking points, the packet within Slack's
limits (a long brief shortened, a long timeline capped with "and N more"), customer text escaped,
and the packet once handed back."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.blocks.hand_off import build_packet, build_reminder, handed_back_line, mark_handed_back
from bot.blocks.talking_points import talking_points
from bot.ids import HandOffAction
from bot.workflows.hand_off.owed import packet_key, thread_of
from bot.workflows.hand_off.views import Commitment, PacketView, TimelineItem
from prompts.drafting import TemplateDrafter
from tests.support.block_limits import block_problems
from tests.support.drafting_factories import brief

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_talking_points_drop_the_greeting_and_the_sign_off() -> None:
    body = "Hi Sam,\n\nUsage fell 40% since March. Can we meet on Tuesday?\n\nBest,\nAna Lima\nCSM, Tandem"
    assert talking_points(body) == ["Usage fell 40% since March.", "Can we meet on Tuesday?"]


def test_talking_points_keep_bullets_and_split_a_long_sentence_at_its_clauses() -> None:
    long = "We saw fewer logins across every team in February; " + "the admin console was barely opened " * 6
    body = f"Hello there!\n- Review seats\n* Plan training\n\n{long.strip()}.\nThanks,\nAna"
    points = talking_points(body)
    assert points[:2] == ["Review seats", "Plan training"]
    assert points[2] == "We saw fewer logins across every team in February;"
    assert points[3].startswith("the admin console") and points[3].endswith("…") and len(points[3]) <= 200


def test_talking_points_are_capped_unique_and_empty_for_an_empty_draft() -> None:
    body = " ".join(f"Point number {n}." for n in range(10)) + " Point number 1."
    assert talking_points(body) == [f"Point number {n}." for n in range(6)]
    assert talking_points("") == [] and talking_points("Hi there,\n\nBest,\nAna") == []


def _view(**changes: object) -> PacketView:
    fields: dict[str, object] = {
        "card_id": 7, "account_id": "ACC-1", "account_name": "Acme <Corp>", "taken_by": "U0CSM001",
        "taken_at": NOW, "since": (NOW - timedelta(days=90)).date(),
        "timeline": (TimelineItem(NOW - timedelta(days=3), "ticket", "Ticket T-7 opened (high, still open)",
                                  "<!here> *urgent* <https://evil.example|login>"),),
        "timeline_total": 1, "talking_points": ("Usage fell.",),
        "commitments": (Commitment("milestone", "Onboarding milestone", "Admin training", day=date(2026, 3, 1),
                                   overdue=True),),
        "commitments_total": 1, "held": True, "hand_back_days": 14,
    }  # fmt: skip
    fields.update(changes)
    return PacketView(**fields)  # type: ignore[arg-type]


def test_the_packet_escapes_customer_text_and_shows_times_as_slack_dates() -> None:
    text, blocks = build_packet(_view(), TemplateDrafter().brief(brief()))
    shown = json.dumps(blocks, ensure_ascii=False)
    assert text == "Hand-off packet: Acme &lt;Corp&gt;" and block_problems(blocks) == []
    assert "<!here>" not in shown and "&lt;!here&gt; *urgent* &lt;https://evil.example|login&gt;" in shown
    assert "“Admin training”, due <!date^" in shown and "⚠️ overdue" in shown
    assert "Written by template (no LLM)" in blocks[-1]["elements"][0]["text"]  # the brief's provenance last


def test_a_long_timeline_and_brief_stay_within_fifty_blocks() -> None:
    items = tuple(TimelineItem(NOW - timedelta(hours=n), "touch", "Email sent", "x" * 400) for n in range(40))
    big = TemplateDrafter().brief(brief())
    assert big.document is not None
    sections = big.document.sections * 8  # a brief longer than any message could hold
    long_brief = replace(big, document=replace(big.document, sections=sections))
    _, blocks = build_packet(_view(timeline=items, timeline_total=57), long_brief)
    assert len(blocks) == 50 and block_problems(blocks) == []
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "_…and 42 more._" in shown  # 15 shown of 57
    assert "Written by template (no LLM)" in blocks[-1]["elements"][0]["text"]


def test_handed_back_replaces_the_button_with_who_and_when() -> None:
    _, blocks = build_packet(_view(), TemplateDrafter().brief(brief()))
    actions = [b for b in blocks if b["type"] == "actions"]
    assert actions[0]["elements"][0]["action_id"] == HandOffAction.HAND_BACK
    closed = mark_handed_back(blocks, handed_back_line(by="U0MGR001", at=NOW, automatic=False))
    assert len(closed) == len(blocks) and not any(b["type"] == "actions" for b in closed)
    assert (
        "Handed back to Tandem by <@U0MGR001> <!date^" in json.dumps(closed) and block_problems(closed) == []
    )
    _, unheld = build_packet(_view(held=False), TemplateDrafter().brief(brief()))
    assert not any(b["type"] == "actions" for b in unheld) and "Already handed back" in json.dumps(unheld)


def test_the_reminder_offers_keep_it_and_hand_back_now() -> None:
    text, blocks = build_reminder(account_id="ACC-1", account_name="Acme & Co", holder="U0CSM001",
                                  since=NOW, returns_at=NOW + timedelta(days=14))  # fmt: skip
    assert text == "Acme &amp; Co goes back to Tandem unless you keep it" and block_problems(blocks) == []
    buttons = blocks[1]["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("Keep it", HandOffAction.KEEP, "ACC-1"),
        ("Hand back now", HandOffAction.HAND_BACK_NOW, "ACC-1"),
    ]


def test_a_packets_key_names_its_card_and_the_thread_it_goes_in() -> None:
    assert packet_key(7, "1772442000.000100") == "handoff:7:1772442000.000100"
    assert thread_of(packet_key(7, "1772442000.000100")) == "1772442000.000100"
    assert packet_key(7, None) == "handoff:7" and thread_of("handoff:7") is None
