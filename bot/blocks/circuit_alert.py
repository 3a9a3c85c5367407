"""The ops alert of a tripped circuit breaker: what tripped, how far over, what was held (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.slack_dates import slack_time
from bot.ids import CircuitAction


@dataclass(frozen=True)
class TripView:
    as_of: date
    trigger: str
    fired: int
    scored: int
    max_share: float
    released_by: str | None = None
    released_at: datetime | None = None

    @property
    def share(self) -> float:
        return self.fired / self.scored if self.scored else 0.0


def release_value(as_of: date, trigger: str) -> str:
    return f"{as_of.isoformat()}|{trigger}"


def parse_release_value(value: str) -> tuple[date, str]:
    day, _, trigger = value.partition("|")
    return date.fromisoformat(day), trigger


def build_circuit_alert(trip: TripView) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f"Circuit breaker: {trip.trigger} fired on {trip.share:.0%} of accounts on {trip.as_of.isoformat()}; "
        "its signals are on hold."
    )
    body = (
        f"*{trip.trigger}* fired on *{trip.fired:,} of {trip.scored:,} accounts* ({trip.share:.0%}) in the "
        f"{trip.as_of.isoformat()} cycle; the limit is {trip.max_share:.0%}. A move that wide is almost "
        "always a data problem (a broken usage feed, a bad import), not a churn wave.\n"
        "Tandem put those signals *on hold*: no cards and no automated messages went out for them."
    )
    blocks: list[Any] = [
        HeaderBlock(text="⚡ Circuit breaker tripped"),
        SectionBlock(text=MarkdownTextObject(text=body)),
    ]
    if trip.released_by:
        when = f" at {slack_time(trip.released_at)}" if trip.released_at else ""
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"✅ Released by <@{trip.released_by}>{when}: the held signals went to their CSMs' digests."
                    )
                ]
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Check the data first. If the signals are real, *Release* sends them to their "
                        "CSMs' digests as cards (never as automated messages)."
                    )
                ]
            )
        )
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Release held signals",
                        action_id=CircuitAction.RELEASE,
                        value=release_value(trip.as_of, trip.trigger),
                        style="danger",
                    )
                ]
            )
        )
    return text, [block.to_dict() for block in blocks]
