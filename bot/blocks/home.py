"""The App Home tab: the same picture as the digest, always current, plus the ops view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks.account_exception import ExceptionView, home_sections
from bot.blocks.circuit_alert import TripView, build_circuit_alert
from bot.blocks.delivery_failure import FailureView, failure_section
from bot.blocks.digest import DigestView, build_digest_message
from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.tuning import ProposalView, home_section

HOME_BLOCK_LIMIT = 100  # Slack's limit for a Home tab view
FAILURES_SHOWN = 10  # two blocks each


def build_home_view(
    digest: DigestView | None,
    *,
    override_log: Sequence[dict[str, Any]] = (),
    trips: Sequence[TripView] = (),
    failures: Sequence[FailureView] = (),
    possible_duplicates: Sequence[str] = (),
    exceptions: Sequence[ExceptionView] = (),
    every_account: bool = False,
    tuning: Sequence[ProposalView] | None = None,
    role_sections: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A `home` view. `digest` is None for users who own no accounts (managers, ops); `trips`
        are the circuit-breaker trips ops may still release; `failures` the Slack messages Tandem
        could not deliver, each with Retry (ops); `possible_duplicates` customer emails resent after a
    send that may already have gone out (the receiving side may show them twice); `exceptions`
    the active "quiet until it gets worse" exceptions the user may lift (`every_account`: ops'
    view of the whole book); `tuning` the trigger-tuning proposals ops may decide or roll back
    (None: not ops or admin, so no section); `role_sections` the role's own picture (a CSM's
    day, a manager's team: bot.blocks.home_roles), placed on top, under the header;
    `override_log` ops' override-log section (bot.blocks.ops_home)."""
    blocks: list[dict[str, Any]] = []
    if digest is not None:
        _, digest_blocks = build_digest_message(digest)
        blocks.extend(digest_blocks)
        blocks[0] = HeaderBlock(text="Your book today").to_dict()
    else:
        blocks.append(HeaderBlock(text="Tandem").to_dict())
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="You own no accounts. Use `/brief ACCOUNT` for any account's brief; "
                    "escalations of your team reach you as DMs."
                )
            ).to_dict()
        )
    top = 2 if digest is not None else 1  # under the header (and the digest's date line)
    blocks[top:top] = list(role_sections)
    if exceptions:
        blocks.extend(home_sections(exceptions, everyone=every_account))
    for trip in trips:
        blocks.extend(build_circuit_alert(trip)[1])
    if tuning is not None:
        blocks.extend(home_section(tuning))
    if failures:
        title = f"*Messages Tandem could not deliver ({len(failures)})*"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=title)).to_dict())
        for failure in failures[:FAILURES_SHOWN]:
            blocks.extend(failure_section(failure))
    if possible_duplicates:
        listed = "\n".join(f"• {escape(line)}" for line in possible_duplicates[:FAILURES_SHOWN])
        title = "*Emails resent after a send that may have gone out (possible duplicates)*"
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(f"{title}\n{listed}", 3000))).to_dict()
        )
    blocks.extend(override_log)
    return {"type": "home", "blocks": blocks[:HOME_BLOCK_LIMIT]}
