"""Estimated cost of LLM calls: USD per million prompt and completion tokens, by model.

List prices as published for OpenAI's models when this was written; an operator on another
model or endpoint sets OPENAI_PRICE_INPUT_PER_MTOK / OPENAI_PRICE_OUTPUT_PER_MTOK. A model
with no known price has no estimate (None), never a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return round(
            (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6, 9
        )


KNOWN_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
}


def price_for(
    model: str, *, input_per_mtok: float | None = None, output_per_mtok: float | None = None
) -> Price | None:
    """The configured price, else the known list price of `model` (or of its dated snapshot)."""
    if input_per_mtok is not None and output_per_mtok is not None:
        return Price(input_per_mtok, output_per_mtok)
    if model in KNOWN_PRICES:
        return KNOWN_PRICES[model]
    # "gpt-4o-mini-2024-07-18" is priced as "gpt-4o-mini": the longest known prefix wins.
    matches = [name for name in KNOWN_PRICES if model.startswith(name + "-")]
    return KNOWN_PRICES[max(matches, key=len)] if matches else None
