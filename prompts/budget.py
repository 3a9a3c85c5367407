"""Prompt token budgets, kept without a tokenizer at run time.

`estimate_tokens` is deliberately pessimistic (about three bytes a token, where OpenAI's
encodings average nearer four on English and JSON); tests check it stays at or above the real
count (tiktoken / o200k) on the seeded book. When a prompt would go over its kind's budget,
customer-written quotes are shortened first and then dropped, oldest first; the facts are kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable

BYTES_PER_TOKEN = 3.0
PER_MESSAGE_TOKENS = 4  # chat formatting around each message
# Prompt budgets (system + user messages), in tokens.
BUDGETS = {"check_in": 1500, "renewal_reminder": 1500, "onboarding_nudge": 1500, "expansion_note": 1500,
           "brief": 3000, "qbr": 4000}  # fmt: skip
MIN_QUOTE_CHARS = 160


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def prompt_estimate(system: str, user: str) -> int:
    return estimate_tokens(system) + estimate_tokens(user) + 2 * PER_MESSAGE_TOKENS


def budget_for(kind: str) -> int:
    return BUDGETS.get(kind, BUDGETS["check_in"])


def fit_quotes(
    quotes: list[dict[str, str]], *, budget: int, render: Callable[[list[dict[str, str]]], tuple[str, str]]
) -> tuple[list[dict[str, str]], tuple[str, str]]:
    """Shorten, then drop (oldest last in the list first) quoted customer text until the
    rendered (system, user) prompt fits `budget`; returns the quotes kept and the prompt."""
    kept = [dict(q) for q in quotes]
    prompt = render(kept)
    while kept and prompt_estimate(*prompt) > budget:
        longest = max(kept, key=lambda q: len(q["text"]))
        size = len(longest["text"])
        target = max(MIN_QUOTE_CHARS, size * 2 // 3)
        if target < size - 1:  # strictly shorter each round, so the loop ends
            longest["text"] = longest["text"][: target - 1].rstrip() + "…"
        else:
            kept.pop()
        prompt = render(kept)
    return kept, prompt
