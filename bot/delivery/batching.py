"""How the posting pool orders its work: batches that post in seconds, channels interleaved."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def plan_batches(due: Sequence[tuple[int, str]], *, size: int, per_channel: int) -> list[list[int]]:
    """(id, recipient) rows in batches of `size` with at most `per_channel` rows for one
    recipient each, so a batch posts in a few seconds at one message per second per channel
    (its claims stay fresh) and a CSM with many cards does not hold up everyone else's."""
    batches: list[list[int]] = []
    counts: list[dict[str, int]] = []
    first_open: dict[str, int] = {}  # recipient → the first batch that may still take them
    for delivery_id, recipient in due:
        index = first_open.get(recipient, 0)
        while index < len(batches) and (
            len(batches[index]) >= size or counts[index].get(recipient, 0) >= per_channel
        ):
            index += 1
        if index == len(batches):
            batches.append([])
            counts.append({})
        batches[index].append(delivery_id)
        counts[index][recipient] = counts[index].get(recipient, 0) + 1
        first_open[recipient] = index
    return batches


def interleave(items: Sequence[T], *, channel: Callable[[T], str]) -> list[T]:
    """Round-robin over channels: each channel's first item, then each one's second, … (a
    channel's own items keep their order), so no posting thread waits on one busy DM."""
    by_channel: dict[str, list[T]] = {}
    for item in items:
        by_channel.setdefault(channel(item), []).append(item)
    rounds = itertools.zip_longest(*by_channel.values())
    return [item for each_round in rounds for item in each_round if item is not None]
