"""Slack's documented Block Kit limits, checked the way a real workspace would refuse them.

Shared by the Web API stand-in (which answers `invalid_blocks`) and the builders' unit tests.
Only the limits Tandem's messages could plausibly hit are checked; each problem is a sentence.
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
ID_LIMIT = 255


def block_problems(blocks: list[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> list[str]:
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks (max {limit})")
    for index, block in enumerate(blocks):
        problems.extend(f"block {index} ({block.get('type')}): {p}" for p in _one_block(block))
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    problems = block_problems(list(view.get("blocks", [])), limit=VIEW_BLOCKS)
    if view.get("type") == "modal":
        problems += _text(view.get("title"), "title", 24, plain=True)
        for key in ("submit", "close"):
            if key in view:
                problems += _text(view[key], key, 24, plain=True)
        if any(b.get("type") == "input" for b in view.get("blocks", [])) and "submit" not in view:
            problems.append("a modal with inputs needs a submit button")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("private_metadata over 3000")
    if len(str(view.get("callback_id", ""))) > ID_LIMIT:
        problems.append("callback_id over 255")
    return problems


def _one_block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    problems = []
    if len(str(block.get("block_id", ""))) > ID_LIMIT:
        problems.append("block_id over 255")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append("a section needs text or fields")
        if "text" in block:
            problems += _text(block["text"], "text", 3000)
        fields = block.get("fields", [])
        if len(fields) > 10:
            problems.append(f"{len(fields)} fields (max 10)")
        for item in fields:
            problems += _text(item, "field", 2000)
        if "accessory" in block:
            problems += _element(block["accessory"])
    elif kind == "header":
        problems += _text(block.get("text"), "header", 150, plain=True)
    elif kind == "context":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 10:
            problems.append(f"{len(elements)} context elements (1 to 10)")
        for item in elements:
            if item.get("type") in ("mrkdwn", "plain_text"):
                problems += _text(item, "context text", 3000)
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 25:
            problems.append(f"{len(elements)} action elements (1 to 25)")
        for element in elements:
            problems += _element(element)
    elif kind == "context_actions":  # Slack's feedback buttons (and icon buttons) under an answer
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 5:
            problems.append(f"{len(elements)} context_actions elements (1 to 5)")
        for element in elements:
            if element.get("type") not in ("feedback_buttons", "icon_button"):
                problems.append(f"context_actions element {element.get('type')!r}")
            for key in ("positive_button", "negative_button"):
                button = element.get(key) if element.get("type") == "feedback_buttons" else {}
                if element.get("type") == "feedback_buttons" and not isinstance(button, dict):
                    problems.append(f"feedback_buttons without {key}")
                elif button:
                    problems += _text(button.get("text"), f"{key} text", 75, plain=True)
                    if len(str(button.get("value", ""))) > 2000:
                        problems.append(f"{key} value over 2000")
    elif kind == "input":
        problems += _text(block.get("label"), "label", 2000, plain=True)
        if "hint" in block:
            problems += _text(block["hint"], "hint", 2000, plain=True)
        problems += _element(block.get("element", {}))
    elif kind not in ("divider", "image", "rich_text", "video", "file"):
        problems.append(f"unknown block type {kind!r}")
    return problems


def _element(element: dict[str, Any]) -> list[str]:
    kind = element.get("type")
    problems = []
    if len(str(element.get("action_id", ""))) > ID_LIMIT:
        problems.append("action_id over 255")
    if kind == "button":
        problems += _text(element.get("text"), "button text", 75, plain=True)
        if len(str(element.get("value", ""))) > 2000:
            problems.append("button value over 2000")
        if len(str(element.get("url", ""))) > 3000:
            problems.append("button url over 3000")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append("button style must be primary or danger")
    elif kind == "static_select":
        problems += _static_select(element)
    elif kind == "datepicker":
        initial = element.get("initial_date")
        if initial is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(initial)):
            problems.append("datepicker initial_date must be YYYY-MM-DD")
    elif kind == "plain_text_input":
        max_length = int(element.get("max_length", 3000))
        if max_length > 3000 or int(element.get("min_length", 0)) > 3000:
            problems.append("plain_text_input lengths over 3000")
        if len(str(element.get("initial_value", ""))) > max_length:
            problems.append("initial_value longer than max_length")
        if "placeholder" in element:
            problems += _text(element["placeholder"], "placeholder", 150, plain=True)
    return problems


def _static_select(element: dict[str, Any]) -> list[str]:
    """Options 1 to 100 (plain text up to 75, values up to 150); an initial_option must be one of them."""
    options = element.get("options", [])
    problems = [] if 1 <= len(options) <= 100 else [f"{len(options)} select options (1 to 100)"]
    for option in options:
        problems += _text(option.get("text"), "option text", 75, plain=True)
        if not 0 < len(str(option.get("value", ""))) <= 150:
            problems.append("option value empty or over 150")
    initial = element.get("initial_option")
    if initial is not None and initial not in options:
        problems.append("initial_option is not one of the options")
    return problems


def _text(obj: Any, what: str, limit: int, *, plain: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{what} must be a text object"]
    if obj.get("type") not in (("plain_text",) if plain else ("plain_text", "mrkdwn")):
        return [f"{what} has type {obj.get('type')!r}"]
    text = str(obj.get("text", ""))
    if not text:
        return [f"{what} is empty"]
    if len(text) > limit:
        return [f"{what} over {limit} ({len(text)})"]
    return []
