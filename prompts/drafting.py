"""The drafting service's public face: request and result types, both drafters, the factory.

Callers import from here only. The LLM drafter (and with it `openai`) is imported on first
use, so the template-only path (demo, tests, no API key) never pays for it. The LLM client's
breaker (`ModelBreaker`) is importable without `openai`, for a run that resets it and reports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompts.brief_document import BriefDocument, render_markdown, render_mrkdwn
from prompts.draft_types import (
    OUTREACH_KINDS,
    PROMPT_VERSIONS,
    TEMPLATE_AUTHOR,
    BriefRequest,
    Drafter,
    DraftRequest,
    DraftResult,
    QBRRequest,
    cache_key,
    facts_hash,
    request_kind,
)
from prompts.model_breaker import BreakerReport, BreakerState, ModelBreaker
from prompts.pricing import price_for
from prompts.template_drafter import TemplateDrafter

if TYPE_CHECKING:
    from prompts.llm_client import CallObserver, LLMClient
    from prompts.llm_drafter import LLMDrafter

__all__ = [
    "OUTREACH_KINDS",
    "PROMPT_VERSIONS",
    "TEMPLATE_AUTHOR",
    "BreakerReport",
    "BreakerState",
    "BriefDocument",
    "BriefRequest",
    "DraftRequest",
    "DraftResult",
    "Drafter",
    "LLMDrafter",
    "ModelBreaker",
    "QBRRequest",
    "TemplateDrafter",
    "cache_key",
    "facts_hash",
    "make_drafter",
    "make_llm_client",
    "render_markdown",
    "render_mrkdwn",
    "request_kind",
]


def __getattr__(name: str) -> object:
    if name == "LLMDrafter":
        from prompts.llm_drafter import LLMDrafter

        return LLMDrafter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_drafter(
    *,
    api_key: str | None,
    base_url: str | None,
    model: str,
    timeout_seconds: float = 30.0,
    max_retries: int = 2,
    max_concurrency: int = 4,
    input_price_per_mtok: float | None = None,
    output_price_per_mtok: float | None = None,
    breaker_failures: int = 3,
    breaker_cooldown_seconds: float = 600.0,
    observer: CallObserver | None = None,
) -> Drafter:
    """The LLM drafter when an API key is configured, else the template drafter. Its client's
    breaker stops asking the model after `breaker_failures` consecutive failed calls (0: never),
    for `breaker_cooldown_seconds`."""
    client = make_llm_client(
        api_key=api_key, base_url=base_url, model=model, timeout_seconds=timeout_seconds, max_retries=max_retries,
        max_concurrency=max_concurrency, input_price_per_mtok=input_price_per_mtok,
        output_price_per_mtok=output_price_per_mtok, breaker_failures=breaker_failures,
        breaker_cooldown_seconds=breaker_cooldown_seconds, observer=observer,
    )  # fmt: skip
    if client is None:
        return TemplateDrafter()
    from prompts.llm_drafter import LLMDrafter

    return LLMDrafter(client)


def make_llm_client(
    *,
    api_key: str | None,
    base_url: str | None,
    model: str,
    timeout_seconds: float = 30.0,
    max_retries: int = 2,
    max_concurrency: int = 4,
    input_price_per_mtok: float | None = None,
    output_price_per_mtok: float | None = None,
    breaker_failures: int = 3,
    breaker_cooldown_seconds: float = 600.0,
    observer: CallObserver | None = None,
) -> LLMClient | None:
    """The LLM client (timeouts, retries, concurrency slots, breaker, price) when an API key is
    configured, else None. The drafter and the assistant both build theirs here."""
    if not api_key or not api_key.strip():
        return None
    from prompts.llm_client import LLMClient

    return LLMClient(
        api_key=api_key.strip(),
        base_url=base_url or None,
        model=model,
        timeout_seconds=timeout_seconds,
        max_retries=max_retries,
        max_concurrency=max_concurrency,
        price=price_for(model, input_per_mtok=input_price_per_mtok, output_per_mtok=output_price_per_mtok),
        breaker=ModelBreaker(failures=breaker_failures, cooldown_seconds=breaker_cooldown_seconds),
        observer=observer,
    )
