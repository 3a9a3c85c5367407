"""The router never leaves the asker with silence: no grammar match and no LLM, or an LLM that
fails, both get "I didn't understand" with examples; a request goes to the Confirm path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.assistant import actions, llm, router
from bot.assistant.types import Ask, Intent, Reply, Turn

TURN = Turn("U1", "D1", "1.0", "1.0", "tell me a joke about renewals")


def test_no_llm_configured_gets_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "llm_reply", lambda deps, turn, history: None)
    reply = router.respond(None, TURN, [])  # type: ignore[arg-type]
    assert reply.intent == router.NOT_UNDERSTOOD and "what needs me today?" in reply.text


def test_an_llm_that_fails_gets_the_same_answer_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(deps: Any, turn: Turn, history: Sequence[dict[str, str]]) -> Reply | None:
        raise TimeoutError("model timed out")

    monkeypatch.setattr(llm, "llm_reply", boom)
    reply = router.respond(None, TURN, [])  # type: ignore[arg-type]
    assert reply.intent == router.NOT_UNDERSTOOD and "I didn't understand" in reply.text
    assert "LLM path failed" in caplog.text


def test_an_llm_answer_is_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = Reply("From the model", "llm", via="llm:m")
    monkeypatch.setattr(llm, "llm_reply", lambda deps, turn, history: answer)
    assert router.respond(None, TURN, [{"role": "user", "text": "hi"}]) is answer  # type: ignore[arg-type]


def test_a_request_goes_to_the_confirm_path_never_to_the_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Ask] = []

    def propose(deps: Any, turn: Turn, ask: Ask) -> Reply:
        seen.append(ask)
        return Reply("Confirm?", ask.intent.value)

    monkeypatch.setattr(actions, "propose", propose)
    turn = Turn("U1", "D1", "1.0", "1.0", "pause automation on Acme for 2 weeks")
    assert router.respond(None, turn, []).text == "Confirm?"  # type: ignore[arg-type]
    assert seen == [Ask(Intent.PAUSE, "Acme", days=14)]
