"""Which drafts CSMs rewrite: the edit rate per draft kind and prompt version.

Over the card decisions on a draft that could be sent: edited / (approved + edited), the
take-over rate, and how much of the draft an edit changed (median share of words).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from scoring.learning.summary import median_p90, share
from scoring.learning.types import Action, Label


@dataclass(frozen=True, slots=True)
class EditRate:
    draft_kind: str
    prompt_version: str
    decisions: int
    approved: int
    edited: int
    taken_over: int
    edit_rate: float | None
    takeover_rate: float | None
    edit_size_median: float | None


def edit_rates(labels: Iterable[Label]) -> list[EditRate]:
    groups: dict[tuple[str, str], list[Label]] = defaultdict(list)
    for label in labels:
        d = label.decision
        if (
            d.card_id is not None
            and d.draft_kind
            and d.action in (Action.APPROVED, Action.EDITED, Action.TAKEN_OVER)
        ):
            groups[(d.draft_kind, d.prompt_version or "")].append(label)
    rows = []
    for (kind, version), group in sorted(groups.items()):
        actions = [label.decision.action for label in group]
        approved, edited = actions.count(Action.APPROVED), actions.count(Action.EDITED)
        sizes = [g.decision.edit_size for g in group if g.decision.action == Action.EDITED]
        median, _ = median_p90([size for size in sizes if size is not None])
        rows.append(
            EditRate(
                draft_kind=kind,
                prompt_version=version,
                decisions=len(group),
                approved=approved,
                edited=edited,
                taken_over=actions.count(Action.TAKEN_OVER),
                edit_rate=share(edited, approved + edited),
                takeover_rate=share(actions.count(Action.TAKEN_OVER), len(group)),
                edit_size_median=median,
            )
        )
    return rows
