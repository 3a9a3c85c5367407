"""The assistant's largest tool-calling prompt on a seeded book, for the budget test and the
benchmark: a renewals read over every account, three tool rounds that each fill what is left of
the data budget, the longest history and question the prompt keeps."""

from __future__ import annotations

import json
from typing import Any

from bot.assistant import llm
from bot.assistant.types import Turn
from bot.deps import Deps

PER_MESSAGE = 4  # chat formatting tokens around each message


def renewals_over_the_book(deps: Deps) -> str:
    """What the largest read looks like on a big book: every account with its renewal, ARR and
    owner (a manager's or ops' renewals question over the whole book)."""
    from sqlalchemy import select

    from storage.models import Account

    with deps.session_factory() as session:
        accounts = session.scalars(select(Account).order_by(Account.renewal_date, Account.name)).all()
        lines = [f"• *{a.name}* ({a.segment}) renews {a.renewal_date or 'not set'}, ARR ${a.arr:,.0f}, "
                 f"owner <@{a.owner_slack_id}>, score 41/100 red, 2 open P1 tickets" for a in accounts]  # fmt: skip
    return f"{len(lines)} accounts renew this quarter:\n" + "\n".join(lines)


def largest_prompt(deps: Deps, data: str) -> list[dict[str, Any]]:
    """The final round's request at its largest."""
    said = "Northwind's usage fell 42% after their migration began on 2026-02-01; 3 P1 tickets are open. "
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": said * 10} for i in range(8)]
    question = (
        "which of my accounts renew this quarter and how risky are they, and what should I do first? " * 20
    )
    turn = Turn(requester="U_CSM", channel="D1", thread_ts="1.0", ts="1.0", text=question)
    messages: list[dict[str, Any]] = llm.opening_messages(deps, turn, history)
    left = llm.DATA_BUDGET_BYTES
    for i in range(llm.MAX_TOOL_ROUNDS):
        call = {"id": f"call_{i}", "type": "function",
                "function": {"name": "ask_tandem", "arguments": json.dumps({"intent": "renewals", "account": None})}}  # fmt: skip
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        content, cost = llm.fenced(data, left)
        left -= cost
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": content})
    return messages


def prompt_texts(messages: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The prompt's texts by part (the tools' schemas count as prompt tokens too)."""
    parts: dict[str, list[str]] = {"tools": [json.dumps(llm.TOOLS)], "system": [], "history": [], "question": [],
                                   "tool calls": [], "tool results": []}  # fmt: skip
    for index, message in enumerate(messages):
        content = str(message.get("content") or "")
        if message["role"] == "system":
            parts["system"].append(content)
        elif message["role"] == "tool":
            parts["tool results"].append(content)
        elif message.get("tool_calls"):
            parts["tool calls"].append(json.dumps(message["tool_calls"]))
        elif index == max(i for i, m in enumerate(messages) if m["role"] == "user"):
            parts["question"].append(content)
        else:
            parts["history"].append(content)
    return parts


def count_parts(messages: list[dict[str, Any]], encoding: str) -> dict[str, int]:
    """Tokens per part with toktok (offline), chat framing counted once per message."""
    import toktok

    counts = {part: int(sum(toktok.batch_count(texts, encoding, threads=1))) if texts else 0
              for part, texts in prompt_texts(messages).items()}  # fmt: skip
    counts["framing"] = PER_MESSAGE * len(messages)
    return counts
