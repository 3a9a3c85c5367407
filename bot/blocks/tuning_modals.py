"""The trigger-tuning modals (pure): Reject asks for a reason; Details shows the replay table
(counts, the past cards the proposal would have removed, the churned accounts it would have
missed). Every text is escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.tuning import ProposalView
from bot.ids import TuningModal
from bot.slack_payloads import MalformedRequest, row_id

REASON_LIMIT = 2000
DETAILS_LINES = 40  # removed past cards listed in the Details modal
TS = re.compile(r"\d{1,12}\.\d{1,8}")
SLACK_CHANNEL = re.compile(r"[CDG][A-Z0-9]{2,20}")


def reject_modal(*, proposal_id: int, title: str, channel: str | None, ts: str | None) -> dict[str, Any]:
    from_message = channel and ts and SLACK_CHANNEL.fullmatch(channel) and TS.fullmatch(ts)
    metadata = f"{proposal_id}|{channel}|{ts}" if from_message else str(proposal_id)
    view = View(
        type="modal",
        callback_id=TuningModal.REJECT_CALLBACK,
        private_metadata=metadata,
        title=f"Reject #{proposal_id}"[:24],
        submit="Reject",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(f"*{escape(title)}*"))),
            InputBlock(
                block_id=TuningModal.REASON_BLOCK,
                label="Why not? (it teaches the next proposal)",
                element=PlainTextInputElement(
                    action_id=TuningModal.REASON_INPUT, multiline=True, max_length=REASON_LIMIT
                ),
            ),
        ],
    )
    return view.to_dict()


def reject_metadata(value: Any) -> tuple[int, str | None, str | None]:
    """(proposal id, channel, ts) from the Reject modal's private_metadata, or MalformedRequest."""
    if not isinstance(value, str):
        raise MalformedRequest("not one of Tandem's ids")
    parts = value.split("|")
    if len(parts) == 1:
        return row_id(parts[0]), None, None
    if len(parts) == 3 and SLACK_CHANNEL.fullmatch(parts[1]) and TS.fullmatch(parts[2]):
        return row_id(parts[0]), parts[1], parts[2]
    raise MalformedRequest("not one of Tandem's ids")


def submitted_reason(view_state: Mapping[str, Any]) -> str:
    values = view_state.get("values", {})
    value = values.get(TuningModal.REASON_BLOCK, {}).get(TuningModal.REASON_INPUT, {}).get("value")
    return str(value or "").strip()


def details_modal(view: ProposalView, *, names: Mapping[str, str]) -> dict[str, Any]:
    """The replay table: counts, the past cards the proposal would have removed, missed churn."""
    replay = view.replay
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"*{escape(view.title)}*\nv{view.parent_version} → v{view.config_version} · {view.state.replace('_', ' ')}"
                )
            )
        )
    ]
    if "cards_before" not in replay:
        note = escape(str(replay.get("note", "No replay for this proposal.")))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(note))))
    else:
        counts = (
            f"*Replay {replay.get('since')}..{replay.get('as_of')}* ({replay.get('csms')} CSMs, {replay.get('weeks')} weeks)\n"
            f"• cards: {replay.get('cards_before')} → {replay.get('cards_after')}\n"
            f"• per CSM per week: {replay.get('per_csm_week_before')} → {replay.get('per_csm_week_after')}\n"
            f"• past cards removed: {len(replay.get('removed', []))}"
        )
        by = replay.get("removed_by_decision", {}) or {}
        counts += "".join(
            f"\n    ◦ {escape(str(what))}: {n}" for what, n in sorted(by.items(), key=lambda kv: -kv[1])
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(counts))))
        removed = list(replay.get("removed", []))
        lines = [
            f"• {c.get('day')} · {escape(_account(str(c.get('account_id')), names))} · {escape(str(c.get('decision')))}"
            for c in removed[:DETAILS_LINES]
        ]
        if len(removed) > DETAILS_LINES:
            lines.append(f"…and {len(removed) - DETAILS_LINES} more")
        table = "*Past cards it would have removed* (day · account · decision)\n" + (
            "\n".join(lines) or "none"
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(table))))
        missed = [
            f"• {escape(str(c.get('name') or c.get('account_id')))} ({escape(str(c.get('account_id')))}), churned {c.get('day')}"
            for c in replay.get("missed_churn", [])
        ]
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=truncate("*Churned accounts it would have missed*\n" + ("\n".join(missed) or "none"))
                )
            )
        )
    modal = View(
        type="modal",
        callback_id=TuningModal.DETAILS_CALLBACK,
        private_metadata=str(view.proposal_id),
        title=f"Proposal #{view.proposal_id}"[:24],
        close="Close",
        blocks=blocks,
    )
    return modal.to_dict()


def _account(account_id: str, names: Mapping[str, str]) -> str:
    name = names.get(account_id)
    return f"{name} ({account_id})" if name else account_id
