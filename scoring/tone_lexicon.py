"""The support-domain lexicon for ticket tone: read `tone_lexicon.toml` and apply it to VADER.

VADER's lexicon was rated on social-media text, where "security", "support" and "help" are good
news and "breach" or "outage" are not words at all; in a support ticket the first are topics and
the second are the worst news there is. The data file holds the corrections (words, words taken
out, phrases); this module turns them into lexicon entries and the phrase-joining pass that
lets VADER, which scores single tokens, score "data loss" or "is down" as one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

LEXICON_PATH = Path(__file__).with_name("tone_lexicon.toml")
# VADER's own scale (the base lexicon's ratings lie within it).
VALENCE_RANGE = (-4.0, 4.0)
# Curly apostrophes (Slack, macOS, Word) would hide "don't" from VADER's negation rule too.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
# A phrase must not start or end inside a word ("down" in "countdown", "is" in "this").
_OUTSIDE_WORD = r"(?<![\w'-])", r"(?![\w'-])"


@dataclass(frozen=True)
class Phrase:
    """One `[phrases]` entry: its pattern, the token it becomes, and that token's valence."""

    pattern: str
    token: str
    valence: float


@dataclass(frozen=True)
class ToneLexicon:
    words: dict[str, float]
    neutral: tuple[str, ...]
    phrases: tuple[Phrase, ...]

    def apply_to(self, lexicon: dict[str, float]) -> None:
        """Update a VADER lexicon in place: domain words and phrase tokens in, neutral words out."""
        lexicon.update(self.words)
        lexicon.update({phrase.token: phrase.valence for phrase in self.phrases})
        for word in self.neutral:
            lexicon.pop(word, None)


def load_lexicon(path: Path = LEXICON_PATH) -> ToneLexicon:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    words = {str(word): _valence(word, value) for word, value in data["words"].items()}
    neutral = tuple(str(word) for word in data["neutral"]["words"])
    phrases = tuple(_phrase(pattern, value) for pattern, value in data["phrases"].items())
    tokens = [phrase.token for phrase in phrases]
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"{path.name}: two phrases would join into the same token")
    if clash := set(words) & set(neutral):
        raise ValueError(f"{path.name}: words both scored and neutral: {sorted(clash)}")
    return ToneLexicon(words, neutral, phrases)


class PhraseJoiner:
    """Rewrites each phrase found in a text as its single token, keeping capitals for VADER's
    emphasis rule ("DATA LOSS" becomes "DATA_LOSS")."""

    def __init__(self, phrases: tuple[Phrase, ...]) -> None:
        self._tokens: list[str] = []
        alternatives: list[str] = []
        # Longest first, so a phrase is never cut short by one that starts the same way.
        for phrase in sorted(phrases, key=lambda p: len(p.pattern), reverse=True):
            self._tokens.append(phrase.token)
            alternatives.append(f"(?P<p{len(alternatives)}>{_regex(phrase.pattern)})")
        # The word-edge checks wrap the whole alternation, not each phrase: four times faster.
        pattern = _OUTSIDE_WORD[0] + "(?:" + "|".join(alternatives) + ")" + _OUTSIDE_WORD[1]
        self._regex = re.compile(pattern, re.IGNORECASE) if alternatives else None

    def __call__(self, text: str) -> str:
        text = text.translate(_APOSTROPHES)
        if self._regex is None:
            return text
        return self._regex.sub(self._token_for, text)

    def _token_for(self, match: re.Match[str]) -> str:
        index = int(str(match.lastgroup)[1:])
        token = self._tokens[index]
        return token.upper() if match.group(0).isupper() else token


def _valence(word: str, value: object) -> float:
    if not isinstance(value, int | float) or not VALENCE_RANGE[0] <= value <= VALENCE_RANGE[1]:
        raise ValueError(f"{word!r}: valence {value!r} is outside VADER's scale {VALENCE_RANGE}")
    return float(value)


def _phrase(pattern: str, value: object) -> Phrase:
    groups = [group.split("|") for group in pattern.lower().split()]
    if len(groups) < 2 or any(not word for group in groups for word in group):
        raise ValueError(f"phrase {pattern!r}: needs two or more words")
    # The token is the first alternative of each word, without apostrophes: "doesn't" in a
    # token would make VADER's negation rule ("n't") flip the words that follow it.
    token = "_".join(re.sub(r"[^a-z0-9]", "", group[0]) for group in groups)
    return Phrase(pattern, token, _valence(pattern, value))


def _regex(pattern: str) -> str:
    words = [
        "(?:" + "|".join(re.escape(word) for word in group.split("|")) + ")"
        for group in pattern.lower().split()
    ]
    return r"\s+".join(words)
