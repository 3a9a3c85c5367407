"""What a Slack user Tandem does not know is told (on `/health` and on the Home tab): what
Tandem does, who to ask, and what their row in `csms.csv` needs. Never a dead end."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import slack_link

WHAT_TANDEM_DOES = (
    "Tandem watches the health of every customer account, sends each CSM a morning digest, and "
    "puts a card in front of the right person when an account needs one: approve, edit or take "
    "over the drafted outreach, or dismiss it with a reason."
)
CSV_ROW = (
    "Your row in `csms.csv` needs your Slack member id (your profile → ⋯ → *Copy member ID*) "
    "or your work email, your name, your role (`csm`, `manager`, `ops` or `admin`), your "
    "manager's member id (`manager_slack_id`) and your time zone (e.g. `Europe/Berlin`)."
)


def who_to_ask(ops: Sequence[str]) -> str:
    mentions = [link for link in (slack_link(slack_id) for slack_id in ops[:5]) if link]
    if not mentions:
        return "the person who runs Tandem for your team"
    return "ops (" + ", ".join(mentions) + ")"


def setup_text(ops: Sequence[str]) -> str:
    return (
        f"Tandem doesn't know you yet. {WHAT_TANDEM_DOES}\n\n"
        f"*To get set up*, ask {who_to_ask(ops)} to add you to `csms.csv` and import it. {CSV_ROW} "
        "After the import, `/health` and the Tandem Home tab show your work."
    )


def setup_blocks(ops: Sequence[str]) -> list[dict[str, Any]]:
    return [
        HeaderBlock(text="Welcome to Tandem").to_dict(),
        SectionBlock(
            text=MarkdownTextObject(text=f"Tandem doesn't know you yet. {WHAT_TANDEM_DOES}")
        ).to_dict(),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*To get set up*, ask {who_to_ask(ops)} to add you to `csms.csv` and import it.\n{CSV_ROW}"
            )
        ).to_dict(),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="After the import, open this tab again: it shows your cards, your book or your team."
                )
            ]
        ).to_dict(),
    ]
