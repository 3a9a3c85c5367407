"""The tone of customer text: VADER's compound score, -1 (hostile) to +1 (warm).

VADER is a validated lexicon-and-rules model built for short informal text, which is what
support tickets are; it needs no model download and scores a ticket in ~50 µs. Its lexicon is
corrected for support text by `tone_lexicon.toml` (stock VADER reads "Security incident: rotate
all API keys NOW" as good news). Tone is computed once, when a ticket is stored (import,
synthetic book; a migration rescores stored tickets when the lexicon changes), and kept on the
ticket, so the scoring pass over 100,000 accounts only averages stored numbers.
"""

from __future__ import annotations

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from scoring.tone_lexicon import PhraseJoiner, load_lexicon


@cache
def _analyzer() -> tuple[SentimentIntensityAnalyzer, PhraseJoiner]:
    """VADER with the support-domain lexicon, and the pass that joins its phrases (built once,
    on first use, not at import)."""
    domain = load_lexicon()
    analyzer = SentimentIntensityAnalyzer()
    domain.apply_to(analyzer.lexicon)
    return analyzer, PhraseJoiner(domain.phrases)


def ticket_tone(subject: str, body: str) -> float:
    """Compound tone of a ticket's subject and body, rounded to 3 places (stable across runs)."""
    text = f"{subject.strip()}. {body.strip()}".strip(". ")
    if not text:
        return 0.0
    analyzer, join_phrases = _analyzer()
    return round(float(analyzer.polarity_scores(join_phrases(text))["compound"]), 3)


def tone_words(tone: float) -> str:
    """ "hostile", "negative", "neutral", "positive" for a compound score (VADER's usual cut-offs)."""
    if tone <= -0.6:
        return "hostile"
    if tone <= -0.05:
        return "negative"
    if tone < 0.05:
        return "neutral"
    return "positive"
