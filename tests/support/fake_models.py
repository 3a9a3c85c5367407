"""Fake models for the local OpenAI-compatible server: answers computed from the request.

`grounded` plays a careful model: it reads the FACTS block of the user prompt and the JSON
schema asked for, and answers with claims that copy the facts' own words and cite their ids
(briefs), or a short plain email without figures (outreach). Tests and the drafting benchmark
use it so the LLM path runs end to end with answers that pass validation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.openai_server import Behaviour

FACTS = re.compile(r"FACTS \(JSON\):\n```json\n(.*?)\n```", re.DOTALL)
PER_SECTION = 3


def facts_of(body: dict[str, Any]) -> Any:
    user = next(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user")
    match = FACTS.search(user)
    return json.loads(match.group(1)) if match else {}


def grounded(body: dict[str, Any]) -> Behaviour:
    schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
    keys = list(schema.get("required", []))
    facts = facts_of(body)
    if keys == ["subject", "body"] or set(keys) == {"subject", "body"}:
        owner = facts.get("owner_name", "your CSM") if isinstance(facts, dict) else "your CSM"
        account = facts.get("account_name", "your team") if isinstance(facts, dict) else "your team"
        text = (f"Hi there,\n\nI wanted to check in on how things are going at {account}, and whether there is "
                f"anything we can help with. Would a short call help?\n\nBest,\n{owner}")  # fmt: skip
        return Behaviour(content=json.dumps({"subject": f"Checking in on {account}", "body": text}))
    sources = [item for item in facts if isinstance(item, dict) and "id" in item and item.get("text")]
    answer: dict[str, list[dict[str, Any]]] = {}
    for n, key in enumerate(keys):
        picked = sources[n * PER_SECTION : (n + 1) * PER_SECTION] or sources[:1]
        answer[key] = [{"text": f"{s['label']}: {s['text']}.", "sources": [s["id"]]} for s in picked]
    return Behaviour(content=json.dumps(answer))
