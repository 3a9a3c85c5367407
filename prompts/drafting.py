"""The drafting service's public face: request and result types, both drafters, the factory.

Callers import from here only. The LLM drafter (and with it `openai`) is imported on first
use, so the template-only path (demo, tests, no API key) never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompts.draft_types import (
    PROMPT_VERSIONS,
    TEMPLATE_AUTHOR,
    BriefRequest,
    Drafter,
    DraftRequest,
    DraftResult,
    facts_hash,
)
from prompts.template_drafter import TemplateDrafter

if TYPE_CHECKING:
    from prompts.llm_drafter import LLMDrafter

__all__ = [
    "PROMPT_VERSIONS",
    "TEMPLATE_AUTHOR",
    "BriefRequest",
    "DraftRequest",
    "DraftResult",
    "Drafter",
    "LLMDrafter",
    "TemplateDrafter",
    "facts_hash",
    "make_drafter",
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
) -> Drafter:
    """The LLM drafter when an API key is configured, else the template drafter."""
    if not api_key or not api_key.strip():
        return TemplateDrafter()
    from prompts.llm_drafter import LLMDrafter

    return LLMDrafter(
        api_key=api_key.strip(),
        base_url=base_url or None,
        model=model,
        timeout_seconds=timeout_seconds,
        max_retries=max_retries,
    )
