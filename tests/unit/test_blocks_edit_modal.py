"""The Edit modal builder and the parsing of its submission."""

from __future__ import annotations

from bot.blocks.edit_modal import MAX_DRAFT_CHARS, build_edit_modal, edited_text
from bot.ids import EditModal
from tests.support.block_limits import view_problems


def test_the_modal_is_prefilled_and_carries_only_the_card_id() -> None:
    modal = build_edit_modal(card_id=7, account_name="Acme Corp", draft_body="Hi Sam,\nthanks.")
    assert modal["type"] == "modal" and modal["callback_id"] == EditModal.CALLBACK
    assert modal["private_metadata"] == "7"
    (block,) = modal["blocks"]
    assert block["type"] == "input" and block["block_id"] == EditModal.DRAFT_BLOCK
    element = block["element"]
    assert element == {
        "type": "plain_text_input",
        "action_id": EditModal.DRAFT_INPUT,
        "multiline": True,
        "initial_value": "Hi Sam,\nthanks.",
        "max_length": 3000,
    }
    assert modal["title"]["text"] == "Edit: Acme Corp" and view_problems(modal) == []


def test_long_names_and_drafts_stay_within_slacks_limits() -> None:
    body = "x" * (MAX_DRAFT_CHARS + 500)
    modal = build_edit_modal(card_id=7, account_name="Very Long Account Name International", draft_body=body)
    assert view_problems(modal) == []
    assert len(modal["title"]["text"]) <= 24 and modal["title"]["text"].endswith("…")
    assert len(modal["blocks"][0]["element"]["initial_value"]) == MAX_DRAFT_CHARS
    assert "longer than 3,000 characters" in str(modal["blocks"][1])


def test_the_submitted_text_is_read_from_the_view_state() -> None:
    state = {
        "values": {
            EditModal.DRAFT_BLOCK: {EditModal.DRAFT_INPUT: {"type": "plain_text_input", "value": "Hi"}}
        }
    }
    assert edited_text(state) == "Hi"
    assert edited_text({"values": {}}) == ""
    cleared = {"values": {EditModal.DRAFT_BLOCK: {EditModal.DRAFT_INPUT: {"value": None}}}}
    assert edited_text(cleared) == ""
