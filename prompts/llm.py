"""The LLM drafter: the `openai` client's chat completions with JSON-schema output.

Works with any OpenAI-compatible server (OPENAI_BASE_URL). The client's own retries (with
backoff, honouring Retry-After) handle 429 and 5xx; any failure, malformed answer or failed
validation falls back to the template draft, marked `needs_review` with the reason.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict, ValidationError

from prompts.drafting import (
    PROMPT_VERSIONS,
    BriefRequest,
    DraftRequest,
    DraftResult,
    TemplateDrafter,
    brief_context,
    facts_hash,
)
from prompts.rendering import render
from prompts.validation import findings

logger = logging.getLogger(__name__)


class DraftAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str
    body: str


RESPONSE_FORMAT: ResponseFormatJSONSchema = {
    "type": "json_schema",
    "json_schema": {
        "name": "draft",
        "strict": True,
        "schema": {**DraftAnswer.model_json_schema(), "additionalProperties": False},
    },
}


class LLMDrafter:
    def __init__(
        self, *, api_key: str, base_url: str | None, model: str, timeout_seconds: float, max_retries: int
    ) -> None:
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=max_retries
        )
        self._model = model
        self._fallback = TemplateDrafter()

    @property
    def author(self) -> str:
        return f"llm:{self._model}"

    def draft(self, request: DraftRequest) -> DraftResult:
        version = PROMPT_VERSIONS.get(request.kind, f"{request.kind}@1")
        facts = {k: v for k, v in asdict(request).items() if k not in ("reasons", "facts")}
        facts.update({str(k): v for k, v in request.facts.items()})
        system = render("check_in.system.j2", owner_name=request.owner_name, crisis=request.crisis)
        user = render(
            "check_in.user.j2",
            owner_name=request.owner_name,
            contact_name=request.contact_name,
            account_name=request.account_name,
            trigger=request.trigger,
            reasons=request.reasons,
            facts_json=json.dumps(facts, indent=2, default=str),
            quoted="",
        )
        fallback = self._fallback.draft(request)
        return self._complete(
            system, user, version, facts_hash(request, version), fallback, crisis=request.crisis
        )

    def brief(self, request: BriefRequest) -> DraftResult:
        version = PROMPT_VERSIONS["brief"]
        context = brief_context(request)
        quoted = "\n".join(f"[{t.ticket_id}] {t.subject}: {t.body}" for t in request.recent_tickets[:5])
        facts = {k: v for k, v in context.items() if k != "ticket_lines"}
        facts["factors"] = [
            {"name": f.name, "score": round(f.score), "detail": f.detail} for f in request.factors
        ]
        user = render(
            "brief.user.j2",
            account_name=request.account_name,
            account_id=request.account_id,
            facts_json=json.dumps(facts, indent=2, default=str),
            quoted=quoted,
        )
        crisis = any(
            c.kind.value in ("security_incident", "layoffs", "merger", "champion_change")
            for c in request.context
        )
        fallback = self._fallback.brief(request)
        return self._complete(
            render("brief.system.j2"), user, version, facts_hash(request, version), fallback, crisis=crisis
        )

    def _complete(
        self, system: str, user: str, version: str, digest: str, fallback: DraftResult, *, crisis: bool
    ) -> DraftResult:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        try:
            response = self._client.chat.completions.create(
                model=self._model,
                messages=messages,
                response_format=RESPONSE_FORMAT,
            )
        except openai.APITimeoutError:
            return self._fall_back(fallback, "the LLM timed out")
        except openai.APIError as error:
            return self._fall_back(fallback, f"the LLM call failed ({type(error).__name__})")
        usage: Any = response.usage
        content = response.choices[0].message.content if response.choices else None
        try:
            answer = DraftAnswer.model_validate_json(content or "")
        except ValidationError:
            return self._fall_back(fallback, "the LLM answer was not the JSON asked for", usage)
        problems = findings(subject=answer.subject, body=answer.body, crisis=crisis)
        if problems:
            return self._fall_back(fallback, "the LLM draft was rejected: " + "; ".join(problems), usage)
        return DraftResult(
            subject=answer.subject.strip(),
            body=answer.body.strip(),
            author=self.author,
            prompt_version=version,
            facts_hash=digest,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )

    def _fall_back(self, fallback: DraftResult, why: str, usage: Any = None) -> DraftResult:
        logger.warning("template draft used: %s", why)
        return replace(
            fallback,
            needs_review=f"Needs human review: {why}; the template draft is shown instead.",
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )
