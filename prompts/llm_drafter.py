"""The LLM drafter: every kind through the typed seam (`LLMClient.complete`), validated before it
can reach a card.

A draft the validator refuses gets one retry that quotes the rejected answer and the findings;
if that fails too (or the call itself fails: timeout, HTTP error, unreachable), the template
draft stands in and `needs_review` says why, so every card still has content and a person looks
closer. Tokens and estimated cost are summed over every call a draft took. While the client's
breaker is open (the model stopped answering) the template stands in at once, and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel

from prompts.answers import BriefAnswer, DraftAnswer, QBRAnswer, document_from
from prompts.brief_document import BriefDocument, render_mrkdwn
from prompts.draft_types import BRIEF, QBR, BriefRequest, DraftRequest, DraftResult, QBRRequest, cache_key
from prompts.llm_client import BadAnswer, CallFailed, LLMClient, ModelUnavailable, Usage
from prompts.llm_prompts import Prompt, brief_prompt, outreach_prompt, qbr_prompt
from prompts.model_breaker import ModelBreaker
from prompts.template_drafter import TemplateDrafter
from prompts.tone import STANDARD
from prompts.validation import document_findings, findings

logger = logging.getLogger(__name__)

A = TypeVar("A", bound=BaseModel)
MAX_EMAIL_CHARS = 3000  # the Edit modal's limit: a CSM must be able to edit the whole draft
MAX_BRIEF_CHARS = 8000
MAX_QBR_CHARS = 12000
Built = tuple[str, str, BriefDocument | None]  # subject, body, document


def retry_message(problems: list[str]) -> str:
    listed = "\n".join(f"- {problem}" for problem in problems)
    return (
        "Your answer was rejected by Tandem's checks:\n"
        f"{listed}\n"
        "Write it again following every rule of the system prompt; answer only with the JSON object."
    )


class LLMDrafter:
    """Drafts through an OpenAI-compatible chat completions endpoint; the template is its fallback."""

    def __init__(self, client: LLMClient, *, fallback: TemplateDrafter | None = None) -> None:
        self.client = client
        self._fallback = fallback or TemplateDrafter()

    @property
    def author(self) -> str:
        return f"llm:{self.client.model}"

    @property
    def max_concurrency(self) -> int:
        return self.client.max_concurrency

    @property
    def breaker(self) -> ModelBreaker:
        return self.client.breaker

    def draft(self, request: DraftRequest) -> DraftResult:
        prompt = outreach_prompt(request)

        def check(answer: DraftAnswer) -> tuple[list[str], Built]:
            subject, body = answer.subject.strip(), answer.body.strip()
            problems = findings(
                subject=subject, body=body, crisis=prompt.crisis, known_numbers=prompt.known_numbers,
                max_chars=MAX_EMAIL_CHARS, register=prompt.register, facts_text=prompt.facts_text,
                quoted=prompt.quoted,
            )  # fmt: skip
            return problems, (subject, body, None)

        return self._write(
            prompt, DraftAnswer, cache_key(request), check, lambda: self._fallback.draft(request)
        )

    def brief(self, request: BriefRequest) -> DraftResult:
        prompt = brief_prompt(request)
        title = f"Brief: {request.account_name}"
        check = self._document_check(prompt, BRIEF, title, MAX_BRIEF_CHARS)
        return self._write(
            prompt, BriefAnswer, cache_key(request), check, lambda: self._fallback.brief(request)
        )

    def qbr(self, request: QBRRequest) -> DraftResult:
        prompt = qbr_prompt(request)
        title = f"QBR brief: {request.account_name}"
        check = self._document_check(prompt, QBR, title, MAX_QBR_CHARS)
        return self._write(prompt, QBRAnswer, cache_key(request), check, lambda: self._fallback.qbr(request))

    @staticmethod
    def _document_check(
        prompt: Prompt, kind: str, title: str, max_chars: int
    ) -> Callable[[BriefAnswer | QBRAnswer], tuple[list[str], Built]]:
        def check(answer: BriefAnswer | QBRAnswer) -> tuple[list[str], Built]:
            document = document_from(answer, kind=kind, title=title, header=prompt.header,
                                     sections=prompt.sections, sources=prompt.sources)  # fmt: skip
            problems = document_findings(
                document, known_numbers=prompt.known_numbers, register=prompt.register or STANDARD,
                facts_text=prompt.facts_text, quoted=prompt.quoted, max_chars=max_chars,
            )  # fmt: skip
            return problems, (title, render_mrkdwn(document), document)

        return check

    def _write(
        self,
        prompt: Prompt,
        model: type[A],
        key: tuple[str, str, str],
        check: Callable[[A], tuple[list[str], Built]],
        fallback: Callable[[], DraftResult],
    ) -> DraftResult:
        digest, version, _ = key
        usage = Usage()
        follow_up: list[tuple[str, str]] = []
        rejections: list[str] = []
        for attempt in (1, 2):
            try:
                completion = self.client.complete(prompt, model, follow_up=follow_up)
            except CallFailed as failed:
                usage += failed.usage
                if (
                    isinstance(failed, ModelUnavailable) and not rejections
                ):  # not asked; the breaker warned once
                    why = f"{failed.reason}; drafted by template"
                    return self._fall_back(fallback, why, usage, version, log=logger.info)
                said = (
                    f"{'; '.join(rejections)}; the retry failed: {failed.reason}"
                    if rejections
                    else failed.reason
                )
                return self._fall_back(fallback, f"{said}; template draft used", usage, version)
            except BadAnswer as bad:
                usage += bad.usage
                problems, raw = [bad.reason], bad.raw
            else:
                usage += completion.usage
                problems, built = check(completion.value)
                if not problems:
                    subject, body, document = built
                    return DraftResult(
                        subject=subject, body=body, author=self.author, prompt_version=version, facts_hash=digest,
                        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                        cost_usd=usage.cost_usd, document=document, attempts=usage.calls,
                    )  # fmt: skip
                raw = completion.raw
            rejections.append(
                ("LLM draft rejected: " if attempt == 1 else "and again after one retry: ")
                + "; ".join(problems)
            )
            logger.info("LLM %s draft attempt %d rejected: %s", version, attempt, "; ".join(problems))
            follow_up = [("assistant", raw or "(no answer)"), ("user", retry_message(problems))]
        return self._fall_back(fallback, f"{'; '.join(rejections)}; template draft used", usage, version)

    def _fall_back(
        self,
        fallback: Callable[[], DraftResult],
        needs_review: str,
        usage: Usage,
        version: str,
        *,
        log: Callable[..., None] = logger.warning,
    ) -> DraftResult:
        log("LLM %s draft fell back to the template: %s", version, needs_review)
        return replace(
            fallback(),
            needs_review=needs_review,
            prompt_tokens=usage.prompt_tokens if usage.calls else None,
            completion_tokens=usage.completion_tokens if usage.calls else None,
            cost_usd=usage.cost_usd if usage.calls else None,
            attempts=usage.calls,
        )
