"""The prompt budget: customer quotes are shortened, then dropped, until the prompt fits; the
loop always ends; facts are never touched."""

from __future__ import annotations

from prompts.budget import MIN_QUOTE_CHARS, estimate_tokens, fit_quotes, prompt_estimate


def render(quotes: list[dict[str, str]]) -> tuple[str, str]:
    return "FACTS: 12 of 40 seats", "\n".join(q["text"] for q in quotes)


def test_quotes_are_shortened_then_dropped_until_the_prompt_fits() -> None:
    quotes = [{"label": f"T-{n}", "text": "x" * 2000} for n in range(3)]
    kept, (system, user) = fit_quotes(quotes, budget=300, render=render)
    assert prompt_estimate(system, user) <= 300 and system == "FACTS: 12 of 40 seats"
    assert kept and all(len(q["text"]) < 2000 for q in kept) and len(quotes[0]["text"]) == 2000, (
        "inputs untouched"
    )


def test_quotes_at_the_minimum_length_are_dropped_and_the_loop_ends() -> None:
    quotes = [
        {"label": "T-1", "text": "y" * (MIN_QUOTE_CHARS + 1)},
        {"label": "T-2", "text": "z" * MIN_QUOTE_CHARS},
    ]
    kept, (_, user) = fit_quotes(quotes, budget=1, render=render)
    assert kept == [] and user == ""


def test_a_prompt_within_budget_is_left_alone() -> None:
    quotes = [{"label": "T-1", "text": "short"}]
    assert fit_quotes(quotes, budget=1500, render=render)[0] == quotes


def test_the_estimate_counts_bytes_pessimistically() -> None:
    assert estimate_tokens("") == 0 and estimate_tokens("abc") == 1 and estimate_tokens("é" * 3) == 2
