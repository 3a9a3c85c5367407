"""TANDEM_CURRENCY_SYMBOL: every amount Tandem shows in Slack carries the deployment's symbol."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from scoring.money import DEFAULT_SYMBOL, money, use_currency_symbol
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.factories import MANAGER
from tests.support.waiting import wait_for


@pytest.fixture
def euro_env(sqlite_db: Database) -> Iterator[SlackEnv]:
    try:
        with slack_env(sqlite_db, settings_env={"TANDEM_CURRENCY_SYMBOL": "€"}) as environment:
            yield environment
    finally:
        use_currency_symbol(DEFAULT_SYMBOL)  # the symbol is the deployment's: restore the default


def test_a_card_and_a_brief_show_euros_and_no_dollars(euro_env: SlackEnv) -> None:
    card = euro_env.post_card()
    posted = next(c.body for c in euro_env.api.calls_to("chat.postMessage") if "blocks" in c.body)
    card_text = json.dumps(card.blocks, ensure_ascii=False) + str(posted.get("text"))
    assert "€60k" in card_text and "$" not in card_text

    reply = euro_env.slack.slash_command(
        "Acme Corp", user_id=MANAGER, response_url=euro_env.api.response_url("b")
    )
    assert reply.status == 200
    brief = wait_for(lambda: euro_env.api.responses_at("b"))[0].body
    brief_text = json.dumps(brief["blocks"], ensure_ascii=False) + str(brief["text"])
    assert "ARR €60,000" in brief_text and "$" not in brief_text


def test_the_default_is_dollars_and_a_word_symbol_is_spaced() -> None:
    assert money(60_000) == "$60,000" and money(60_000, compact=True) == "$60k"
    assert money(1_250_000, compact=True, symbol="€") == "€1.2M"
    assert money(950, compact=True, symbol="CHF") == "CHF 950"
