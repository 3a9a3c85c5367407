"""Account exceptions in Slack (pure): the owner's offer in their DM, and App Home's list with Lift.

The offer is a pure function of the exception's state, like a card: offered, it carries
*Quiet until it gets worse* and *No thanks*; answered, the same builder says who answered and
when in place of the buttons. Account names are escaped; the only mentions are the Slack ids
Tandem stored itself (who set, declined or lifted it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.mrkdwn import escape, slack_link, truncate
from bot.blocks.slack_dates import DATE_ONLY, slack_day, slack_time
from bot.ids import ExceptionAction

ACCEPT_LABEL = "Quiet until it gets worse"
DECLINE_LABEL = "No thanks"
LIFT_LABEL = "Lift"
HOME_SHOWN = 20  # exceptions listed in App Home (one block each)


@dataclass(frozen=True)
class ExceptionView:
    exception_id: int
    state: str  # storage.enums.ExceptionState
    account_id: str
    account_name: str
    trigger: str
    quiet_days: int
    lapse_points: int
    score: int | None  # the baseline once set; the latest score while offered
    set_by: str | None = None
    set_on: date | None = None
    expires_on: date | None = None
    declined_by: str | None = None
    lifted_by: str | None = None
    ended_at: datetime | None = None  # declined, lapsed or lifted
    lapse_detail: str | None = None
    dismissals: tuple[date, ...] = ()  # the known-context dismissals behind an offer

    @property
    def floor(self) -> int | None:
        """The score at or below which it lapses."""
        return None if self.score is None else self.score - self.lapse_points

    @property
    def name(self) -> str:
        return escape(self.account_name)


def build_offer_message(view: ExceptionView) -> tuple[str, list[dict[str, Any]]]:
    """The offer in the owner's DM, rendered from the exception's current state."""
    text = f"Keep {view.trigger} quiet on {view.name}? {_offer_terms(view)}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate(_offer_body(view))))]
    if view.state == "offered":
        value = str(view.exception_id)  # an id only: the state lives in the database
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=ACCEPT_LABEL, action_id=ExceptionAction.ACCEPT, value=value, style="primary"
                    ),
                    ButtonElement(text=DECLINE_LABEL, action_id=ExceptionAction.DECLINE, value=value),
                ]
            )
        )
    else:
        outcome = outcome_line(view)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(outcome, 2000))]))
        text = f"{text} — {outcome}"
    return text, [block.to_dict() for block in blocks]


def outcome_line(view: ExceptionView) -> str:
    """What became of an exception, in one line ('🔕 Quiet until it gets worse: set by …')."""
    if view.state == "declined":
        return f"👍 No thanks from {_who(view.declined_by)}: Tandem keeps flagging {view.trigger} on {view.name}."
    if view.state == "lifted":
        return f"🔔 Lifted by {_who(view.lifted_by)}{_on(view.ended_at)}: {view.trigger} acts as usual on {view.name}."
    if view.state == "lapsed":
        return f"🔔 {escape(view.lapse_detail or 'Lapsed.')}"
    return f"🔕 {quiet_line(view)}"


def quiet_line(view: ExceptionView) -> str:
    """'Quiet until it gets worse: set by <@U…> on 2026-03-02; health_low stays quiet on …'."""
    when = f" on {slack_day(view.set_on)}" if view.set_on else ""
    until = f" until {slack_day(view.expires_on)}" if view.expires_on else ""
    floor = f"the score falls to {view.floor} or lower" if view.floor is not None else "the score worsens"
    return (
        f"Quiet until it gets worse: set by {_who(view.set_by)}{when}; {view.trigger} stays quiet on "
        f"{view.name}{until} unless {floor} or another trigger fires."
    )


def home_sections(views: Sequence[ExceptionView], *, everyone: bool) -> list[dict[str, Any]]:
    """App Home's list of active exceptions, each with Lift; `everyone`: ops' view of the book."""
    whose = "on every account" if everyone else "on your accounts"
    title = f"*Quiet until it gets worse ({len(views)} {whose})*"
    if not views:
        return [SectionBlock(text=MarkdownTextObject(text=f"{title}\nNone.")).to_dict()]
    blocks: list[dict[str, Any]] = [SectionBlock(text=MarkdownTextObject(text=title)).to_dict()]
    for view in views[:HOME_SHOWN]:
        lift = ButtonElement(text=LIFT_LABEL, action_id=ExceptionAction.LIFT, value=str(view.exception_id))
        line = f"*{view.name}* · `{view.trigger}` — {quiet_line(view)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(line)), accessory=lift).to_dict())
    if len(views) > HOME_SHOWN:
        more = f"…and {len(views) - HOME_SHOWN} more (`python app.py explain ACCOUNT` shows each)."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]).to_dict())
    return blocks


def _offer_body(view: ExceptionView) -> str:
    count = len(view.dismissals)
    times = "again" if count < 2 else "twice" if count == 2 else f"{count} times"
    dates = f" ({' and '.join(slack_day(day) for day in view.dismissals)})" if view.dismissals else ""
    return (
        f"*Keep `{view.trigger}` quiet on {view.name}?*\n"
        f"You dismissed it as known context {times}{dates}, with nothing approved between. "
        f"{_offer_terms(view)}"
    )


def _offer_terms(view: ExceptionView) -> str:
    floor = (
        f"the health score falls {view.lapse_points} points (to {view.floor} or lower, from {view.score} now)"
        if view.floor is not None
        else f"the health score falls {view.lapse_points} points"
    )
    return (
        f"Tandem can keep it quiet for {view.quiet_days} days; it comes back at once if {floor} "
        "or another trigger fires."
    )


def _who(slack_id: str | None) -> str:
    """A mention of a Slack id Tandem stored (anything else is escaped text)."""
    return (slack_link(slack_id) or escape(slack_id)) if slack_id else "someone"


def _on(moment: datetime | None) -> str:
    return f" on {slack_time(moment, DATE_ONLY)}" if moment else ""
