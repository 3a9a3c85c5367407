"""What a learned proposal is, whatever it changes: a titled change to the trigger configuration.

Every proposer (thresholds, routes, watched phrases) returns `Proposal`s; the tuning workflow
replays each, stores it as an inactive configuration version with its evidence, and puts it in
front of ops. A proposal changes the configuration only through `changes`, plain JSON paths
into the configuration body, so applying one is a pure function of the parent body.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ProposalKind(StrEnum):
    THRESHOLD = "threshold"  # a per-segment line of a threshold trigger
    ROUTE = "route"  # a routing rule for a cell (to a person, or automated with a hold)
    PHRASE = "phrase"  # a watched phrase for the sentiment trigger
    CALIBRATION = "calibration"  # the score calibrated on churn outcomes (signal model, bands, weights)


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """Set `path` to `value` (`op="set"`) or append `value` to the list at `path` (`op="append"`);
    missing tables on the way are created."""

    path: tuple[str, ...]
    value: Any
    op: str = "set"


@dataclass(frozen=True, slots=True)
class Proposal:
    kind: ProposalKind
    key: str  # stable identity across weeks, e.g. "threshold:health_low:smb"
    title: str  # one line for ops: "Tighten health_low for SMB: fires below 52 (now 60)"
    trigger: str
    segment: str | None
    changes: tuple[ConfigChange, ...]
    evidence: tuple[str, ...] = ()  # sentences with the figures behind it
    figures: dict[str, Any] = field(default_factory=dict)  # JSON-safe numbers for tables and tests


def apply_changes(body: dict[str, Any], changes: Sequence[ConfigChange]) -> dict[str, Any]:
    """A new configuration body with `changes` applied; `body` itself is left alone."""
    result = copy.deepcopy(body)
    for change in changes:
        table = result
        for part in change.path[:-1]:
            table = table.setdefault(part, {})
        leaf = change.path[-1]
        if change.op == "append":
            existing = list(table.get(leaf) or [])
            if change.value not in existing:
                existing.append(change.value)
            table[leaf] = existing
        elif change.op == "set":
            table[leaf] = change.value
        else:
            raise ValueError(f"unknown configuration change {change.op!r} at {'.'.join(change.path)}")
    return result
