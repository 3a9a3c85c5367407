"""The LLM drafter: the `openai` client's chat completions with JSON-schema structured output.

Works with any OpenAI-compatible server (OPENAI_BASE_URL). The client is built once; its own
retries (with backoff, honouring Retry-After) handle 429 and 5xx. Any failure, a malformed
answer or a draft that fails validation falls back to the template draft, with `needs_review`
saying what went wrong, so every card still has content and a person looks closer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prompts.draft_types import BriefRequest, DraftRequest, DraftResult, facts_hash, prompt_version
from prompts.llm_prompts import Prompt, brief_prompt, check_in_prompt
from prompts.template_drafter import TemplateDrafter
from prompts.validation import findings

logger = logging.getLogger(__name__)

MAX_CHECK_IN_CHARS = 3000  # the Edit modal's limit: a CSM must be able to edit the whole draft
MAX_BRIEF_CHARS = 8000


class DraftAnswer(BaseModel):
    """The JSON the model is asked for, and how its answer is parsed."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(description="The subject line (email) or title (brief).")
    body: str = Field(description="The text: plain text for emails, Slack mrkdwn for briefs.")


def response_format() -> ResponseFormatJSONSchema:
    return {
        "type": "json_schema",
        "json_schema": {"name": "draft", "strict": True, "schema": DraftAnswer.model_json_schema()},
    }


class Rejected(Exception):
    """The call or its answer is unusable; the message says why, for the card."""


class LLMDrafter:
    """Drafts through an OpenAI-compatible chat completions endpoint; the template is its fallback."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        fallback: TemplateDrafter | None = None,
    ) -> None:
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=max_retries
        )
        self._model = model
        self._timeout = timeout_seconds
        self._max_retries = max_retries
        self._fallback = fallback or TemplateDrafter()

    @property
    def author(self) -> str:
        return f"llm:{self._model}"

    def draft(self, request: DraftRequest) -> DraftResult:
        version = prompt_version(request.kind)
        return self._write(
            check_in_prompt(request),
            version=version,
            digest=facts_hash(request, version),
            max_chars=MAX_CHECK_IN_CHARS,
            fallback=lambda: self._fallback.draft(request),
        )

    def brief(self, request: BriefRequest) -> DraftResult:
        version = prompt_version("brief")
        return self._write(
            brief_prompt(request),
            version=version,
            digest=facts_hash(request, version),
            max_chars=MAX_BRIEF_CHARS,
            fallback=lambda: self._fallback.brief(request),
        )

    def _write(
        self,
        prompt: Prompt,
        *,
        version: str,
        digest: str,
        max_chars: int,
        fallback: Callable[[], DraftResult],
    ) -> DraftResult:
        usage: Any = None
        try:
            completion = self._complete(prompt)
            usage = completion.usage
            answer = self._parse(completion)
            problems = findings(
                subject=answer.subject,
                body=answer.body,
                crisis=prompt.crisis,
                known_numbers=prompt.known_numbers,
                max_chars=max_chars,
            )
            if problems:
                raise Rejected("LLM draft rejected: " + "; ".join(problems))
        except Rejected as rejected:
            logger.warning("LLM %s draft fell back to the template: %s", version, rejected)
            return replace(
                fallback(),
                needs_review=f"{rejected}; template draft used",
                prompt_tokens=getattr(usage, "prompt_tokens", None),
                completion_tokens=getattr(usage, "completion_tokens", None),
            )
        return DraftResult(
            subject=answer.subject.strip(),
            body=answer.body.strip(),
            author=self.author,
            prompt_version=version,
            facts_hash=digest,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )

    def _complete(self, prompt: Prompt) -> ChatCompletion:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        try:
            return self._client.chat.completions.create(
                model=self._model, messages=messages, response_format=response_format()
            )
        except openai.APITimeoutError as error:
            raise Rejected(f"LLM call timed out after {self._timeout:g} s") from error
        except openai.APIConnectionError as error:
            raise Rejected("LLM endpoint could not be reached") from error
        except openai.APIStatusError as error:
            retried = f" after {self._max_retries} retries" if self._max_retries else ""
            raise Rejected(f"LLM call failed with HTTP {error.status_code}{retried}") from error
        except openai.OpenAIError as error:
            raise Rejected(f"LLM call failed ({type(error).__name__})") from error

    @staticmethod
    def _parse(completion: ChatCompletion) -> DraftAnswer:
        if not completion.choices:
            raise Rejected("LLM answer had no choices")
        choice = completion.choices[0]
        if choice.message.refusal:
            raise Rejected("LLM refused to write the draft")
        if choice.finish_reason == "length":
            raise Rejected("LLM answer was cut off at the token limit")
        content = (choice.message.content or "").strip()
        if not content:
            raise Rejected("LLM answer was empty")
        try:
            data = json.loads(content)
        except json.JSONDecodeError as error:
            raise Rejected("LLM answer was not valid JSON") from error
        try:
            return DraftAnswer.model_validate(data)
        except ValidationError as error:
            fields = ", ".join(sorted({str(e["loc"][0]) if e["loc"] else "answer" for e in error.errors()}))
            raise Rejected(f"LLM answer did not match the JSON schema ({fields})") from error
