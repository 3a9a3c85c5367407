"""The size of an edit: the share of the draft's words a person changed."""

from __future__ import annotations

import pytest

from scoring.learning.edits import edit_size

DRAFT = "Hi Sam, I noticed usage dropped this month and would like to help. Best, Ana"


def test_an_unchanged_draft_is_zero_whatever_its_line_breaks() -> None:
    assert edit_size(DRAFT, DRAFT) == 0.0
    assert edit_size(DRAFT, DRAFT.replace(" ", "\n", 3)) == 0.0
    assert edit_size("", "") == 0.0


def test_a_rewrite_is_one_and_a_small_change_is_small() -> None:
    assert edit_size(DRAFT, "Call me tomorrow about the contract renewal please") == 1.0
    one_word = DRAFT.replace("Sam", "Samantha")  # 1 of 15 words
    assert edit_size(DRAFT, one_word) == pytest.approx(1 / 15, abs=1e-3)
    added = DRAFT + " P.S. see you at the summit next week."
    assert 0.1 < edit_size(DRAFT, added) < 0.5
    assert edit_size(DRAFT, "") == 1.0
