"""Who a sales hand-off tells the CSM to bring in: a real mention when Tandem knows the id."""

from __future__ import annotations

import pytest

from bot.workflows.cycle_plan import sales_contact


@pytest.mark.parametrize(
    ("executive", "channel", "who", "mentions"),
    [
        ("U0AE00001", "C0SALES01", "<@U0AE00001>", ("U0AE00001",)),  # the account's executive first
        (None, "C0SALES01", "<#C0SALES01>", ("C0SALES01",)),  # a channel id links the channel
        (None, "<#C0SALES01|sales>", "<#C0SALES01>", ("C0SALES01",)),  # as Slack writes a link
        (None, "#sales", "#sales", ()),  # a name is only text: Slack links a channel by its id
        ("not-an-id <!channel>", None, "not-an-id <!channel>", ()),  # imported junk: text, escaped later
    ],
)
def test_a_known_id_becomes_a_mention_anything_else_stays_text(
    executive: str | None, channel: str | None, who: str, mentions: tuple[str, ...]
) -> None:
    assert sales_contact(executive, channel) == (who, mentions)


def test_without_either_the_card_says_what_to_set() -> None:
    who, mentions = sales_contact(None, None)
    assert "TANDEM_SALES_CHANNEL" in who and mentions == ()
