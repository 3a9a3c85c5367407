"""Ticket tone with the support-domain lexicon: a breach reads as bad news, thanks as good news.

The labelled set (tests/fixtures/ticket_tone_labelled.csv) was written before the lexicon.
Stock VADER labels 64 of its 112 lines right (57%); with the lexicon it labels 103 (92%).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from scoring.sentiment import ticket_tone, tone_words
from scoring.tone_lexicon import LEXICON_PATH, PhraseJoiner, load_lexicon

LABELLED = Path(__file__).parents[1] / "fixtures" / "ticket_tone_labelled.csv"
# The bar sits a little under today's 92%, so one reworded entry does not fail the suite, while
# a change that undoes the lexicon (stock VADER: 57%) fails it by far. Each label has its own
# bar too: calling every ticket negative must not pass.
ACCURACY_BAR = 0.88
PER_LABEL_BAR = 0.85
BREACH = (
    "Security incident: rotate all API keys NOW",
    "Please help us rotate every API key today. We cannot wait for the normal queue; "
    "we are losing patience with the response time.",
)


def _label(tone: float) -> str:
    """The labelled set's three classes: `tone_words` with "hostile" counted as negative."""
    return {"hostile": "negative"}.get(tone_words(tone), tone_words(tone))


def test_a_security_incident_is_bad_news_not_good() -> None:
    # Stock VADER: +0.59 ("security", "please" and "help" are cheerful words in its lexicon).
    assert ticket_tone(*BREACH) <= -0.05
    assert tone_words(ticket_tone(*BREACH)) in ("negative", "hostile")
    assert tone_words(ticket_tone(BREACH[0], "")) == "negative"


def test_thanks_stays_positive() -> None:
    assert tone_words(ticket_tone("Thanks for the quick fix", "The dashboard fix works great.")) == "positive"
    assert tone_words(ticket_tone("No outage on our side any more, all good now, thanks!", "")) == "positive"


def test_topic_and_request_words_carry_no_cheer() -> None:
    for subject in (
        "Please rotate our API keys",
        "Do you support SAML with Okta?",
        "Our security team needs your SOC 2 report",
        "We would like to add exports as well",
        "How do I cancel a scheduled report?",
    ):
        assert tone_words(ticket_tone(subject, "")) == "neutral", subject


def test_down_means_an_outage_only_in_that_sense() -> None:
    assert tone_words(ticket_tone("The API is down again", "")) == "negative"
    assert tone_words(ticket_tone("Integration went down overnight", "")) == "negative"
    for subject in (
        "Can you slow down the sync?",
        "Where is the drill down option?",
        "Scroll down to Settings",
    ):
        assert tone_words(ticket_tone(subject, "")) == "neutral", subject


def test_phrases_keep_capitals_and_read_curly_apostrophes() -> None:
    joiner = PhraseJoiner(load_lexicon().phrases)
    assert joiner("DATA LOSS on Monday") == "DATA_LOSS on Monday"
    assert joiner("Export doesn\u2019t work") == "Export doesnt_work"
    # VADER boosts a shouted word only among lower-case ones, as here.
    assert ticket_tone("DATA LOSS on Monday", "") < ticket_tone("data loss on Monday", "") < -0.5
    assert tone_words(ticket_tone("Cancel our subscription", "")) == "negative"


def test_labelled_support_tickets_clear_the_accuracy_bar() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 100 and {row["label"] for row in rows} == {"negative", "neutral", "positive"}
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    for row in rows:
        got = _label(ticket_tone(row["text"], ""))
        total[row["label"]] += 1
        if got == row["label"]:
            right[row["label"]] += 1
        else:
            misses.append(f"{row['label']} read as {got}: {row['text']}")
    accuracy = right.total() / total.total()
    assert accuracy >= ACCURACY_BAR, f"{accuracy:.1%}; misses:\n" + "\n".join(misses)
    for label, count in total.items():
        assert right[label] / count >= PER_LABEL_BAR, f"{label}: {right[label]}/{count}"


def test_the_lexicon_file_is_on_vaders_scale(tmp_path: Path) -> None:
    lexicon = load_lexicon()
    assert all(-4 <= value <= 4 for value in lexicon.words.values())
    assert {"security", "help", "please", "support"} <= set(lexicon.neutral)
    broken = tmp_path / "lexicon.toml"
    broken.write_text(
        LEXICON_PATH.read_text(encoding="utf-8").replace("breach = -2.5", "breach = -7"), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="outside VADER's scale"):
        load_lexicon(broken)
