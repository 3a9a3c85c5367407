"""Watched-phrase proposals: ticket words that keep preceding take-overs or churn.

Positive texts are tickets opened in the days before a take-over or a churned renewal of their
account; baseline texts are the other tickets of the same period. Terms are words and
two-word phrases (lowercase letters; a bigram only where the two words stand one space apart,
so the phrase matches the text as the sentiment trigger reads it: a substring). A term is
proposed when it appears in at least `min_docs` positive tickets, at least `min_lift` times as
often as in the baseline (the baseline rate with one added document, so a term never seen
there has a finite lift), and a one-sided Fisher exact test is significant after Bonferroni
over every term tested. Terms already watched (an existing phrase inside it, or it inside an
existing phrase) and terms containing a stronger proposed term are left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from scipy import stats

from scoring.learning.proposal_types import ConfigChange, Proposal, ProposalKind

WORD = re.compile(r"[a-z]+")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "hi",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "out",
        "please",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "hello",
        "thanks",
        "thank",
        "regards",
    ]
)
MIN_WORD = 3  # shorter words carry little meaning ("ok", "re")


def terms(text: str) -> set[str]:
    """The distinct terms of one text: words and adjacent two-word phrases, without stopwords."""
    lowered = text.lower()
    found: set[str] = set()
    previous: re.Match[str] | None = None
    for match in WORD.finditer(lowered):
        word = match.group()
        keep = len(word) >= MIN_WORD and word not in STOPWORDS
        if keep:
            found.add(word)
        if (
            keep
            and previous is not None
            and lowered[previous.end() : match.start()] == " "
            and len(previous.group()) >= MIN_WORD
            and previous.group() not in STOPWORDS
        ):
            found.add(f"{previous.group()} {word}")
        previous = match
    return found


def propose_phrases(
    positive_texts: Sequence[str],
    baseline_texts: Sequence[str],
    *,
    watched: Iterable[str] = (),
    min_docs: int = 5,
    min_lift: float = 3.0,
    alpha: float = 0.01,
    max_proposals: int = 5,
) -> list[Proposal]:
    """At most `max_proposals` watched-phrase proposals for the sentiment trigger, strongest first."""
    if not positive_texts or not baseline_texts:
        return []
    positives = _document_counts(positive_texts)
    baseline = _document_counts(baseline_texts)
    n_pos, n_base = len(positive_texts), len(baseline_texts)
    tested = [term for term, count in positives.items() if count >= min_docs]
    already = [phrase.strip().lower() for phrase in watched if phrase.strip()]
    found: list[tuple[float, float, str, int, int]] = []
    for term in tested:
        a, b = positives[term], baseline.get(term, 0)
        lift = (a / n_pos) / ((b + 1) / (n_base + 1))
        if lift < min_lift or _watched(term, already):
            continue
        _, p = stats.fisher_exact([[a, n_pos - a], [b, n_base - b]], alternative="greater")
        adjusted = min(1.0, float(p) * len(tested))
        if adjusted < alpha:
            found.append((adjusted, -lift, term, a, b))
    chosen: list[Proposal] = []
    picked: list[str] = []
    for adjusted, negative_lift, term, a, b in sorted(found):
        if any(p in term for p in picked):
            continue  # "competitor pricing" adds nothing once "competitor" is watched
        picked.append(term)
        chosen.append(_proposal(term, a, n_pos, b, n_base, -negative_lift, adjusted, len(tested)))
        if len(chosen) >= max_proposals:
            break
    return chosen


def _document_counts(texts: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(terms(text))
    return counts


def _watched(term: str, phrases: Sequence[str]) -> bool:
    return any(phrase in term or term in phrase for phrase in phrases)


def _proposal(
    term: str, a: int, n_pos: int, b: int, n_base: int, lift: float, adjusted: float, tested: int
) -> Proposal:
    return Proposal(
        kind=ProposalKind.PHRASE,
        key=f"phrase:{term}",
        title=f"Watch “{term}” in tickets: in {a} of {n_pos} tickets before a take-over or churn, {b} of {n_base} others",
        trigger="sentiment",
        segment=None,
        changes=(ConfigChange(("triggers", "sentiment", "frustration_phrases"), term, op="append"),),
        evidence=(
            f"“{term}” appeared in {a} of {n_pos} tickets opened before a take-over or a churned "
            f"renewal ({a / n_pos:.0%}) and in {b} of {n_base} other tickets of the period "
            f"({b / n_base:.1%}): {lift:.1f}× as often.",
            f"One-sided Fisher exact test, Bonferroni over {tested} terms: p = {adjusted:.2g}.",
            "Proposed: a ticket containing it counts as frustrated for the sentiment trigger.",
        ),
        figures={
            "positive_docs": a,
            "positive_total": n_pos,
            "baseline_docs": b,
            "baseline_total": n_base,
            "lift": round(lift, 3),
            "p_adjusted": adjusted,
            "terms_tested": tested,
        },
    )
