"""The one typed LLM seam: `complete(prompt, response_model)` over the `openai` client's chat
completions with JSON-schema structured output, for any OpenAI-compatible server.

- Structured output: the pydantic model becomes a strict JSON schema (`response_format`), and
  the answer is parsed back into that model; an answer that is not JSON, or not of that shape,
  raises `BadAnswer` naming what is wrong.
- Timeouts per call; retries with exponential backoff (honouring Retry-After) on 429, 5xx and
  dropped connections, `max_retries` times; a timeout is not retried (the caller falls back).
- At most `max_concurrency` calls in flight across every thread using this client.
- A circuit breaker (`prompts.model_breaker`) in front of every call: after a few consecutive
  calls the model did not answer (timeout, unreachable, 429/5xx after the retries) it refuses
  further calls at once with `ModelUnavailable` until a cool-down has passed, so every caller
  (the cycle's drafts, `/brief`, `/qbr`) falls back to its template without waiting.
- Token usage and an estimated cost come back with every answer, and with every failure that
  still spent tokens; an `observer` (bot.metrics) hears of every call, its outcome and usage.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ValidationError

from prompts.model_breaker import BreakerOpen, ModelBreaker, Permit
from prompts.pricing import Price

T = TypeVar("T", bound=BaseModel)
MAX_BACKOFF_SECONDS = 20.0


class HasMessages(Protocol):
    @property
    def system(self) -> str: ...

    @property
    def user(self) -> str: ...


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None
            if self.cost_usd is None and other.cost_usd is None
            else (self.cost_usd or 0) + (other.cost_usd or 0)
        )
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     None if cost is None else round(cost, 9), self.calls + other.calls)  # fmt: skip


@dataclass(frozen=True)
class Completion(Generic[T]):
    value: T
    raw: str  # the answer as the model wrote it (for a retry that quotes it back)
    usage: Usage


class CallObserver(Protocol):
    """Told of every call: outcome `answered` (with what it spent), `failed`, `timeout` or
    `breaker_open` (not called at all)."""

    def llm_call(self, *, model: str, outcome: str, usage: Usage | None = None) -> None: ...


class LLMError(Exception):
    """The call or its answer is unusable; the message says why, in words for a card."""

    def __init__(self, reason: str, usage: Usage | None = None, raw: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage or Usage()
        self.raw = raw


class CallFailed(LLMError):
    """No usable HTTP answer: timeout, unreachable, or an error status after the retries.

    `outage` is False when the server did answer, only not with a completion (a 4xx other than
    429): that is no sign the model is down, so the breaker does not count it."""

    def __init__(self, reason: str, *, outage: bool = True, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.outage = outage
        self.timed_out = timed_out


class ModelUnavailable(CallFailed):
    """Not called at all: the breaker is open because the model stopped answering."""


class BadAnswer(LLMError):
    """An answer came back but is not the JSON asked for (the tokens were still spent)."""


def response_format(response_model: type[BaseModel]) -> ResponseFormatJSONSchema:
    """The model as a strict JSON schema for `response_format`.

    The SDK's public helper for strict schemas is `openai.pydantic_function_tool`: a strict
    function's parameters and a strict `json_schema` response format follow the same rules
    (every property required, no additional properties, `$ref`s inlined where needed), so its
    `parameters` are the schema, without reaching into the SDK's private modules."""
    name = response_model.__name__.lower()
    schema = openai.pydantic_function_tool(response_model)["function"].get("parameters", {})
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": dict(schema)}}


class LLMClient:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        max_concurrency: int = 4,
        price: Price | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float = 0.5,
        breaker: ModelBreaker | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        # The SDK's own retries are off: this class retries, so it can count, bound and log them.
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=0
        )
        self.model = model
        self.timeout_seconds = timeout_seconds
        self.max_retries = max(0, max_retries)
        self.max_concurrency = max(1, max_concurrency)
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self._price = price
        self._sleep = sleep
        self._backoff = backoff_seconds
        self._in_flight = 0
        self._peak = 0
        self._lock = threading.Lock()
        self.breaker = breaker or ModelBreaker()
        self._observer = observer

    @property
    def peak_concurrency(self) -> int:
        """The most calls that were ever in flight at once (for tests and benchmarks)."""
        return self._peak

    def complete(
        self, prompt: HasMessages, response_model: type[T], *, follow_up: Sequence[tuple[str, str]] = ()
    ) -> Completion[T]:
        """The model's answer to `prompt` as a `response_model`; `follow_up` adds (role, text)
        turns after the user prompt (a retry quoting the rejected answer and the findings)."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        for role, content in follow_up:
            messages.append(
                {"role": "assistant", "content": content}
                if role == "assistant"
                else {"role": "user", "content": content}
            )
        completion, usage = self._observed_call(
            messages, {"response_format": response_format(response_model)}
        )
        raw = _content(completion, usage)
        try:
            value = response_model.model_validate_json(raw)
        except ValidationError as error:
            if any(e["type"] == "json_invalid" for e in error.errors()):
                raise BadAnswer("LLM answer was not valid JSON", usage, raw) from error
            fields = ", ".join(sorted({str(e["loc"][0]) if e["loc"] else "answer" for e in error.errors()}))
            raise BadAnswer(f"LLM answer did not match the JSON schema ({fields})", usage, raw) from error
        return Completion(value, raw, usage)

    def chat(
        self, messages: list[ChatCompletionMessageParam], **options: Any
    ) -> tuple[ChatCompletion, Usage]:
        """One raw chat completion (e.g. with `tools=`), behind the same breaker, retries,
        timeout and concurrency slots as `complete`; the caller reads the message itself."""
        return self._observed_call(messages, options)

    def _usage(self, completion: ChatCompletion) -> Usage:
        used = completion.usage
        prompt_tokens = used.prompt_tokens if used else 0
        completion_tokens = used.completion_tokens if used else 0
        cost = self._price.cost(prompt_tokens, completion_tokens) if self._price else None
        return Usage(prompt_tokens, completion_tokens, cost, 1)

    def _observed_call(
        self, messages: list[ChatCompletionMessageParam], options: dict[str, Any]
    ) -> tuple[ChatCompletion, Usage]:
        """`_guarded_call`, its usage, and the observer told how it went."""
        observe = self._observer.llm_call if self._observer else None
        try:
            completion = self._guarded_call(messages, options)
        except CallFailed as failed:
            if observe:
                outcome = "breaker_open" if isinstance(failed, ModelUnavailable) else "failed"
                observe(model=self.model, outcome="timeout" if failed.timed_out else outcome)
            raise
        usage = self._usage(completion)
        if observe:
            observe(model=self.model, outcome="answered", usage=usage)
        return completion, usage

    def _guarded_call(
        self, messages: list[ChatCompletionMessageParam], options: dict[str, Any]
    ) -> ChatCompletion:
        """`_call` behind the breaker: refused at once while it is open; whether the model
        answered (after the retries) is its outcome."""
        try:
            permit = self.breaker.admit()
        except BreakerOpen as refused:
            raise ModelUnavailable(refused.reason) from refused
        try:
            completion = self._call(messages, options, permit)
        except ModelUnavailable:
            raise  # opened by other calls while this one waited: not this call's outcome
        except CallFailed as failed:
            if failed.outage:
                self.breaker.failed(permit, failed.reason, timeout=failed.timed_out)
            else:
                self.breaker.succeeded(permit)
            raise
        except BaseException:
            self.breaker.abandoned(permit)
            raise
        self.breaker.succeeded(permit)
        return completion

    def _call(
        self, messages: list[ChatCompletionMessageParam], options: dict[str, Any], permit: Permit
    ) -> ChatCompletion:
        attempt = 0
        while True:
            try:
                with self._slot():
                    self._confirm(permit)  # the breaker may have opened while this call waited
                    return self._client.chat.completions.create(
                        model=self.model, messages=messages, **options
                    )
            except openai.APITimeoutError as error:
                raise CallFailed(
                    f"LLM call timed out after {self.timeout_seconds:g} s", timed_out=True
                ) from error
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as error:
                if attempt >= self.max_retries:
                    raise CallFailed(self._failure(error, attempt)) from error
                self._sleep(self._delay(attempt, error))
                attempt += 1
            except openai.APIStatusError as error:  # 4xx other than 429: retrying cannot help
                raise CallFailed(f"LLM call failed with HTTP {error.status_code}", outage=False) from error
            except openai.OpenAIError as error:
                raise CallFailed(f"LLM call failed ({type(error).__name__})") from error

    def _confirm(self, permit: Permit) -> None:
        try:
            self.breaker.confirm(permit)
        except BreakerOpen as refused:
            raise ModelUnavailable(refused.reason) from refused

    def _slot(self) -> _Slot:
        return _Slot(self)

    def _failure(self, error: openai.OpenAIError, attempt: int) -> str:
        retried = f" after {attempt} retries" if attempt else ""
        if isinstance(error, openai.APIStatusError):
            return f"LLM call failed with HTTP {error.status_code}{retried}"
        return f"LLM endpoint could not be reached{retried}"

    def _delay(self, attempt: int, error: openai.OpenAIError) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter; capped."""
        response: Any = getattr(error, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        try:
            if header is not None:
                return min(MAX_BACKOFF_SECONDS, max(0.0, float(header)))
        except ValueError:
            pass
        return min(MAX_BACKOFF_SECONDS, self._backoff * (2**attempt) * random.uniform(0.75, 1.25))


class _Slot:
    """One of the client's concurrency slots, held for the duration of one HTTP call."""

    def __init__(self, client: LLMClient) -> None:
        self._client = client

    def __enter__(self) -> None:
        client = self._client
        client._slots.acquire()
        with client._lock:
            client._in_flight += 1
            client._peak = max(client._peak, client._in_flight)

    def __exit__(self, *exc: object) -> None:
        client = self._client
        with client._lock:
            client._in_flight -= 1
        client._slots.release()


def _content(completion: ChatCompletion, usage: Usage) -> str:
    if not completion.choices:
        raise BadAnswer("LLM answer had no choices", usage)
    choice = completion.choices[0]
    if choice.message.refusal:
        raise BadAnswer("LLM refused to write the draft", usage)
    if choice.finish_reason == "length":
        raise BadAnswer("LLM answer was cut off at the token limit", usage, choice.message.content or "")
    content = (choice.message.content or "").strip()
    if not content:
        raise BadAnswer("LLM answer was empty", usage)
    return content
