"""Trigger tuning in Slack (pure): the weekly message to ops, App Home's section, and the
Reject and Details modals are in `bot.blocks.tuning_modals`.

Each proposal is a group of blocks whose block ids start with `tuning-<id>-`, rendered from
its current state like a card: waiting, it carries Accept, Shadow 2 weeks, Reject and Details;
decided, a line saying who decided what (an accepted one keeps Roll back for 30 days). After a
click the handler renders the clicked proposal's group again and splices it into the message
(`refresh_groups`), so the other proposals in the same message are left as they are.
Titles, sentences and account names are escaped; the only mentions are the Slack ids Tandem
stored itself (who decided). A calibration proposal's group is `bot.blocks.calibration`'s, with
the same block ids, so it sits in the same message, App Home section and splicing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.calibration import calibration_group
from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.proposal_view import ProposalView, rollback_button, state_line
from bot.ids import TuningAction
from bot.tuning.replay_words import replay_sentence

HEADER = "Trigger tuning"
MESSAGE_SHOWN = 12  # proposals in one message (three blocks each, under Slack's 50)
HOME_SHOWN = 8
GROUP = re.compile(r"tuning-(\d{1,10})-")


def build_tuning_message(
    proposals: Sequence[ProposalView], *, drift: Sequence[str] = (), as_of: date | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The weekly message: one group per proposal, then the drift flags without a proposal."""
    waiting = sum(p.state in ("proposed", "shadowing") for p in proposals)
    text = f"Trigger tuning: {waiting} proposal(s) waiting for ops" + (
        f", {len(drift)} drift flag(s)" if drift else ""
    )
    blocks: list[Block] = [HeaderBlock(text=HEADER)]
    intro = (
        "Learned from the override log"
        + (f" as of {as_of.isoformat()}" if as_of else "")
        + (
            ". *Accept* activates a new configuration version; *Shadow 2 weeks* counts what it would post "
            "beside the active one; *Reject* asks why. Only ops and admins decide."
        )
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=intro)]))
    for view in proposals[:MESSAGE_SHOWN]:
        blocks.extend(_group(view))
    if len(proposals) > MESSAGE_SHOWN:
        more = f"…and {len(proposals) - MESSAGE_SHOWN} more (`python app.py tune propose` lists them all)."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    if drift:
        lines = "\n".join(f"• {escape(sentence)}" for sentence in drift)
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(f"*Drift without a proposal*\n{lines}")))
        )
    return text, [block.to_dict() for block in blocks]


def proposal_group(view: ProposalView) -> list[dict[str, Any]]:
    return [block.to_dict() for block in _group(view)]


def refresh_groups(
    blocks: Sequence[dict[str, Any]], render: Callable[[int], list[dict[str, Any]] | None]
) -> list[dict[str, Any]]:
    """`blocks` with each proposal group replaced by `render(proposal_id)` (None: kept as is)."""
    out: list[dict[str, Any]] = []
    done: set[int] = set()
    for block in blocks:
        found = GROUP.match(str(block.get("block_id", "")))
        if not found:
            out.append(block)
            continue
        proposal_id = int(found.group(1))
        if proposal_id in done:
            continue
        done.add(proposal_id)
        fresh = render(proposal_id)
        if fresh is None:
            out.extend(
                b for b in blocks if GROUP.match(str(b.get("block_id", ""))) and _group_id(b) == proposal_id
            )
        else:
            out.extend(fresh)
    return out


def group_ids(blocks: Sequence[dict[str, Any]]) -> list[int]:
    """The proposals a message shows, in order."""
    seen: list[int] = []
    for block in blocks:
        found = GROUP.match(str(block.get("block_id", "")))
        if found and int(found.group(1)) not in seen:
            seen.append(int(found.group(1)))
    return seen


def home_section(proposals: Sequence[ProposalView]) -> list[dict[str, Any]]:
    """App Home's "Trigger tuning" for ops: waiting proposals, then recently accepted ones."""
    title = f"*{HEADER}*"
    if not proposals:
        return [SectionBlock(text=MarkdownTextObject(text=f"{title}\nNothing waiting.")).to_dict()]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=title))]
    for view in proposals[:HOME_SHOWN]:
        blocks.extend(_group(view))
    if len(proposals) > HOME_SHOWN:
        more = f"…and {len(proposals) - HOME_SHOWN} more (`python app.py tune propose` lists them all)."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return [block.to_dict() for block in blocks]


def replay_line(replay: Mapping[str, Any]) -> str | None:
    """'Replay …: cards per CSM per week 1.8 → 1.1; 6 past cards removed (4 dismissed: …); …'."""
    return replay_sentence(replay)


def _group(view: ProposalView) -> list[Block]:
    if view.kind == "calibration":
        return calibration_group(view)
    prefix = f"tuning-{view.proposal_id}-"
    lines = [f"*#{view.proposal_id} {escape(view.title)}*  (v{view.parent_version} → v{view.config_version})"]
    lines += [escape(sentence) for sentence in view.sentences]
    replay = replay_line(view.replay)
    if replay:
        lines.append(f"_{escape(replay)}_")
    if view.drift:
        lines.append(f"Drift: {escape(view.drift)}")
    blocks: list[Block] = [
        SectionBlock(block_id=f"{prefix}body", text=MarkdownTextObject(text=truncate("\n".join(lines))))
    ]
    state = state_line(view)
    if state:
        blocks.append(
            ContextBlock(block_id=f"{prefix}state", elements=[MarkdownTextObject(text=truncate(state, 2000))])
        )
    buttons = _buttons(view)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"{prefix}actions", elements=buttons))
    return blocks


def _buttons(view: ProposalView) -> list[ButtonElement]:
    value = str(view.proposal_id)  # an id only: the state lives in the database
    details = ButtonElement(text="Details", action_id=TuningAction.DETAILS, value=value)
    if view.state in ("proposed", "shadowing"):
        accept = ButtonElement(
            text="Accept", action_id=TuningAction.ACCEPT, value=value, style="primary",
            confirm=ConfirmObject(
                title="Accept this proposal?",
                text=f"Configuration v{view.config_version} becomes active; the next cycle uses it. Roll back returns to the one before.",
                confirm="Accept", deny="Cancel",
            ),
        )  # fmt: skip
        reject = ButtonElement(text="Reject", action_id=TuningAction.REJECT, value=value)
        if view.state == "proposed":
            shadow = ButtonElement(text="Shadow 2 weeks", action_id=TuningAction.SHADOW, value=value)
            return [accept, shadow, reject, details]
        return [accept, reject, details]
    if view.state == "accepted" and view.can_roll_back:
        rollback = rollback_button(value, "The configuration before this proposal becomes active again.")
        return [rollback, details]
    return []


def _group_id(block: Mapping[str, Any]) -> int | None:
    found = GROUP.match(str(block.get("block_id", "")))
    return int(found.group(1)) if found else None
