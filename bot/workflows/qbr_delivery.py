"""Deliver a QBR brief in Slack: the brief in the requester's DM with Tandem, then the chart
(PNG) and the Markdown file in that message's thread, through `files_upload_v2`."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.blocks.qbr import build_qbr_message, files_comment
from bot.workflows.qbr import QBRBrief


@dataclass(frozen=True)
class Delivered:
    channel: str
    ts: str
    file_ids: tuple[str, ...]


def deliver_qbr(client: WebClient, *, user_id: str, brief: QBRBrief) -> Delivered:
    text, blocks = build_qbr_message(brief)
    posted = client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    channel, ts = str(posted["channel"]), str(posted["ts"])
    uploaded = client.files_upload_v2(
        channel=channel,
        thread_ts=ts,
        initial_comment=files_comment(brief),
        file_uploads=[
            {
                "file": brief.chart_png,
                "filename": f"{brief.file_stem}-health-usage-90d.png",
                "title": f"{brief.account_name}: health and usage, last 90 days",
                "alt_txt": f"Health score and daily active users of {brief.account_name} over 90 days",
            },
            {
                "content": brief.markdown,
                "filename": f"{brief.file_stem}.md",
                "title": f"QBR brief: {brief.account_name} (Markdown)",
                "snippet_type": "markdown",
            },
        ],
    )
    files = uploaded.get("files") or []
    return Delivered(channel, ts, tuple(str(f.get("id")) for f in files if isinstance(f, dict)))
