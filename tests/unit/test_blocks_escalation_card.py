"""The escalation card builder: buttons by route and state, limits, escaping, decided cards."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks.escalation_card import build_card_message, quote_within
from bot.ids import CardAction, CardBlock
from bot.workflows.card_views import CardView
from tests.support.block_limits import block_problems

PENDING = CardView(
    card_id=42,
    state="pending",
    account_id="ACC-0042",
    account_name="Acme Corp",
    segment="mid_market",
    arr=60_000.0,
    score=48,
    band="red",
    trigger="health_low",
    route="assist",
    why="Health Red (48): usage pulls the score down most",
    reasons=("Human with automation assist: mid market account, low complexity.",),
    also_fired=("renewal_risk",),
    draft_subject="Checking in",
    draft_body="Hi Sam,\n\nI noticed usage has dropped.\n\nBest,\nAna",
    draft_author="template",
    needs_review=None,
    recipient_slack_id="U123",
    decided_by=None,
    decided_at=None,
    final_text=None,
    explanation="9 of 40 seats active (22%)",
)
DECIDED_AT = datetime(2026, 3, 2, 9, 14, tzinfo=UTC)


def _actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == "actions"]


def _labels(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["text"]["text"] for a in _actions(blocks) for e in a["elements"]]


def _decided(state: str, **extra: Any) -> CardView:
    return replace(PENDING, state=state, decided_by="U123", decided_at=DECIDED_AT, **extra)


def test_a_pending_assist_card_has_the_three_buttons_carrying_only_the_card_id() -> None:
    text, blocks = build_card_message(PENDING)
    (actions,) = _actions(blocks)
    assert actions["block_id"] == CardBlock.ACTIONS
    assert _labels(blocks) == ["Approve", "Edit", "Take over"]
    assert [e["action_id"] for e in actions["elements"]] == [
        CardAction.APPROVE,
        CardAction.EDIT,
        CardAction.TAKE_OVER,
    ]
    assert {e["value"] for e in actions["elements"]} == {"42"}
    assert actions["elements"][0]["style"] == "primary"
    assert text.startswith("Acme Corp") and block_problems(blocks) == []


def test_the_card_shows_what_a_csm_needs_to_decide() -> None:
    _, blocks = build_card_message(PENDING)
    shown = str(blocks)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "🔴 Acme Corp · health 48 (red)"
    for fact in ("ACC-0042", "mid market", "$60k", "health_low", "renewal_risk", "Assist: review the draft"):
        assert fact in shown
    assert "usage pulls the score down most" in shown and "9 of 40 seats active" in shown
    assert "low complexity" in shown and "Checking in" in shown and "I noticed usage has dropped" in shown
    assert "Drafted by template (no LLM)" in shown


@pytest.mark.parametrize(("band", "emoji"), [("green", "🟢"), ("yellow", "🟡"), ("red", "🔴"), (None, "⚪")])
def test_the_header_carries_the_band_emoji(band: str | None, emoji: str) -> None:
    view = replace(PENDING, band=band, score=None if band is None else 80)
    _, blocks = build_card_message(view)
    assert blocks[0]["text"]["text"].startswith(emoji)


def test_an_llm_draft_says_which_model_and_why_it_needs_review() -> None:
    view = replace(PENDING, draft_author="llm:gpt-4o-mini", needs_review="mentions 40% off, not in the facts")
    shown = str(build_card_message(view)[1])
    assert "Drafted by LLM (gpt-4o-mini)" in shown and "⚠️ Needs human review: mentions 40% off" in shown


def test_a_very_long_draft_stays_within_slacks_limits_and_says_it_was_shortened() -> None:
    body = "\n".join(f"Line {n}: R&D <team> update, all good." for n in range(400))
    view = replace(PENDING, draft_body=body, draft_subject="S" * 300, account_name="A" * 200)
    _, blocks = build_card_message(view)
    assert block_problems(blocks) == []
    assert len(blocks[0]["text"]["text"]) <= 150
    draft = next(b for b in blocks if "Proposed message" in b.get("text", {}).get("text", ""))
    assert len(draft["text"]["text"]) <= 3000 and "shortened here" in draft["text"]["text"]
    assert _labels(blocks) == ["Approve", "Edit", "Take over"]


def test_one_enormous_line_is_cut_between_characters_not_inside_an_escape() -> None:
    quoted, complete = quote_within("&" * 5000, 100)
    assert not complete and len(quoted) <= 100
    assert quoted.startswith("> &amp;") and quoted.endswith("&amp;…")


def test_a_body_that_fits_is_quoted_whole() -> None:
    assert quote_within("one\n\ntwo", 100) == ("> one\n>\n> two", True)


def test_customer_text_cannot_ping_or_link() -> None:
    view = replace(
        PENDING, draft_body="Hi <!channel> <@U999> & <https://evil.example|click>", why="<!here> why"
    )
    shown = str(build_card_message(view)[1])
    assert "<!channel>" not in shown and "<!here>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt;" in shown


@pytest.mark.parametrize(
    ("state", "line"),
    [
        (
            "approved",
            "✅ Approved by <@U123> at <!date^1772442840^{date_short_pretty} at {time}|2026-03-02 09:14 UTC>",
        ),
        (
            "edited",
            "✏️ Edited and approved by <@U123> at <!date^1772442840^{date_short_pretty} at {time}|2026-03-02 09:14 UTC>",
        ),
        (
            "taken_over",
            "🙋 Taken over by <@U123> at <!date^1772442840^{date_short_pretty} at {time}|2026-03-02 09:14 UTC> — this account is now human-handled; automation paused.",
        ),
        (
            "dismissed",
            "🚫 Dismissed by <@U123> at <!date^1772442840^{date_short_pretty} at {time}|2026-03-02 09:14 UTC>",
        ),
    ],
)
def test_a_decided_card_has_no_buttons_and_says_who_and_when(state: str, line: str) -> None:
    text, blocks = build_card_message(_decided(state))
    assert _actions(blocks) == []
    assert line in blocks[-1]["elements"][0]["text"] and "<@U123>" in text


def test_an_edited_card_shows_the_text_that_will_be_sent() -> None:
    _, blocks = build_card_message(_decided("edited", final_text="A shorter note."))
    shown = str(blocks)
    assert "A shorter note." in shown and "I noticed usage has dropped" not in shown
    assert "Edited message" in shown


def test_rendering_is_a_pure_function_of_the_view() -> None:
    assert build_card_message(_decided("approved")) == build_card_message(_decided("approved"))


@pytest.mark.parametrize("route", ["human", "escalate"])
def test_human_and_escalate_cards_offer_only_take_over(route: str) -> None:
    _, blocks = build_card_message(replace(PENDING, route=route, draft_body=None, draft_subject=None))
    assert _labels(blocks) == ["Take over"] and "No automated send" in str(blocks)
    assert {e["value"] for a in _actions(blocks) for e in a["elements"]} == {"42"}


def test_a_human_card_never_offers_a_send_even_with_a_draft() -> None:
    _, blocks = build_card_message(replace(PENDING, route="human"))
    assert _labels(blocks) == ["Take over"] and "Proposed message" not in str(blocks)


def test_a_human_cards_draft_is_shown_as_talking_points_never_sent() -> None:
    """A frustrated customer or one in crisis gets a person; the draft helps them find the words."""
    _, blocks = build_card_message(replace(PENDING, route="human"))
    points = next(b for b in blocks if "Talking points" in b.get("text", {}).get("text", ""))
    assert "not sent" in points["text"]["text"] and "> I noticed usage has dropped." in points["text"]["text"]
    assert "Drafted by template (no LLM)" in str(blocks) and block_problems(blocks) == []
    assert _labels(blocks) == ["Take over"]


def test_a_hold_card_is_informational() -> None:
    _, blocks = build_card_message(replace(PENDING, route="hold", draft_body=None))
    assert _actions(blocks) == [] and "On hold" in str(blocks) and "nothing to decide" in str(blocks)


def test_an_automated_touch_held_for_review_can_be_approved() -> None:
    _, blocks = build_card_message(replace(PENDING, route="auto", needs_review="a number not in the facts"))
    assert _labels(blocks) == ["Approve", "Edit", "Take over"]


def test_a_copy_of_a_climbed_card_says_why_it_is_here_and_keeps_its_buttons() -> None:
    """The manager's copy of a climbed card is the card itself: its note first, its rung line,
    and the same buttons the owner has (a manager may decide it from there)."""
    view = replace(
        PENDING,
        route="assist",
        note="⏫ *<@U123> has not answered this card* for 4 working hours.",
        attention=(
            "⏫ Waiting 4 working hours since <!date^1772442000^{date_short_pretty} at {time}|x> · sent to <@U9>",
        ),
    )
    text, blocks = build_card_message(view)
    assert blocks[0]["type"] == "section" and "has not answered" in blocks[0]["text"]["text"]
    assert text.startswith("⏫ <@U123> has not answered this card")
    assert "sent to <@U9>" in str(blocks) and _labels(blocks) == ["Approve", "Edit", "Take over"]
    assert block_problems(blocks) == []


def test_the_menu_offers_a_snooze_until_the_card_sleeps() -> None:
    def menu(view: object) -> list[str]:
        _, blocks = build_card_message(view)  # type: ignore[arg-type]
        why = next(b for b in blocks if b.get("block_id") == "escalation-card-why")
        return [o["value"].split(":")[0] for o in why["accessory"]["options"]]

    assert menu(PENDING)[-1] == "snooze" and len(menu(PENDING)) <= 5
    assert "snooze" not in menu(replace(PENDING, asleep=True))


def test_tandems_own_mentions_render_as_mentions_and_customer_text_never_pings() -> None:
    """The hand-off names the account executive and the sales channel as real links (Tandem
    wrote them, from known ids); the same strings typed by a customer stay text."""
    view = replace(
        PENDING,
        route="human",
        trigger="expansion_ready",
        why="Expansion ready (86/100): <!channel> 38 of 40 seats used.",
        reasons=("Hand-off to sales: Acme looks ready to grow. Bring in <@U0AE00001> and <#C0SALES01>.",),
        evidence=("urgent · open: “<!channel> <@U0AE00001> <#C0SALES01> export broken”, opened 2026-03-01",),
        draft_kind="expansion_note",
        draft_body="<@U0AE00001>: Acme looks ready for an expansion conversation. <!here>",
        mentions=("U0AE00001", "C0SALES01"),
    )
    _, blocks = build_card_message(view)
    reasons = next(b for b in blocks if b["type"] == "context" and "Hand-off" in str(b))
    assert "Bring in <@U0AE00001> and <#C0SALES01>." in reasons["elements"][0]["text"]
    note = next(b for b in blocks if "Hand-off note" in str(b))
    assert note["text"]["text"].splitlines()[1].startswith("> <@U0AE00001>: Acme")
    evidence = next(b for b in blocks if "*Evidence*" in str(b))["elements"][0]["text"]
    assert "&lt;!channel&gt; &lt;@U0AE00001&gt; &lt;#C0SALES01&gt;" in evidence
    shown = str(blocks)
    assert "<!channel>" not in shown and "<!here>" not in shown and "&lt;!channel&gt;" in shown
    assert shown.count("<@U0AE00001>") == 2  # the reason and the note, never the ticket


def test_only_well_formed_ids_become_mentions() -> None:
    view = replace(PENDING, reasons=("Bring in <!channel> and <@u0bad>.",), mentions=("!channel", "u0bad"))
    shown = str(build_card_message(view)[1])
    assert "<!channel>" not in shown and "<@u0bad>" not in shown


def test_a_crisis_card_names_the_crisis_first_and_offers_only_take_over() -> None:
    crisis = "Automated outreach paused: security incident reported 3 days ago. Reach out personally."
    view = replace(PENDING, route="human", crisis=crisis, reasons=(crisis,))
    _, blocks = build_card_message(view)
    assert blocks[2]["text"]["text"] == f"⚠️ *{crisis}*"  # right under the account's fields
    assert str(blocks).count("security incident reported 3 days ago") == 1
    assert _labels(blocks) == ["Take over"] and "Talking points" in str(blocks)
