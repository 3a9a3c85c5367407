import pytest

from bot.assistant.grammar import parse
from bot.assistant.types import Ask, Intent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("why is Acme red?", Ask(Intent.WHY_RED, "Acme")),
        ("<@U0BOT> why is Northwind Traders red", Ask(Intent.WHY_RED, "Northwind Traders")),
        ("How is Globex doing?", Ask(Intent.HOW_IS, "Globex")),
        ("what changed at Acme since last month?", Ask(Intent.WHAT_CHANGED, "Acme")),
        ("what needs me today?", Ask(Intent.NEEDS_ME)),
        ("which of my accounts renew this quarter and how risky?", Ask(Intent.RENEWALS)),
        ("show the override log for Acme", Ask(Intent.OVERRIDE_LOG, "Acme")),
        ("what did Tandem send to Acme?", Ask(Intent.WHAT_SENT, "Acme")),
        ("brief Acme", Ask(Intent.BRIEF, "Acme")),
        ("QBR for Acme Corp", Ask(Intent.QBR, "Acme Corp")),
        ("draft a check-in for Acme", Ask(Intent.DRAFT_CHECKIN, "Acme")),
        ("help", Ask(Intent.HELP)),
        ("", Ask(Intent.HELP)),
        ("always human on Acme", Ask(Intent.ALWAYS_HUMAN, "Acme")),
        ("flag Acme: their champion left", Ask(Intent.FLAG, "Acme", reason="their champion left")),
        ("take this over", Ask(Intent.TAKE_OVER, "this")),
        ("snooze this for 3 days", Ask(Intent.SNOOZE, "this", snooze="3d")),
        ("snooze this until it gets worse", Ask(Intent.SNOOZE, "this", snooze="worse")),
        ("snooze this", Ask(Intent.SNOOZE, "this", snooze=None)),
    ],
)
def test_the_grammar_reads_each_intent(text: str, expected: Ask) -> None:
    assert parse(text) == expected


def test_a_pause_reads_its_length_in_words_or_digits_and_its_reason() -> None:
    assert parse("pause automation on Acme for two weeks, they're mid-migration") == Ask(
        Intent.PAUSE, "Acme", days=14, reason="they're mid-migration"
    )
    assert parse("pause automation on Northwind for 2 weeks") == Ask(Intent.PAUSE, "Northwind", days=14)
    assert parse("pause automation on Acme for 10 days because of the audit") == Ask(
        Intent.PAUSE, "Acme", days=10, reason="because of the audit"
    )
    assert parse("pause automation on Acme") == Ask(Intent.PAUSE, "Acme")


def test_in_a_cards_thread_this_is_the_cards_account() -> None:
    assert parse("how is this doing?") == Ask(Intent.HOW_IS, "this")
    assert parse("why is it red") == Ask(Intent.WHY_RED, "this")


def test_free_form_text_is_left_to_the_llm() -> None:
    assert parse("what should I say to their CFO about the price increase next week?") is None
    assert parse("how's it going") is None
