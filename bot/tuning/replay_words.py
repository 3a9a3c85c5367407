"""A stored replay in one sentence, for the Slack message, App Home and the command line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def replay_sentence(replay: Mapping[str, Any]) -> str | None:
    kind = replay.get("kind")
    span = f"Replay {replay.get('since')}..{replay.get('as_of')}"
    if kind == "route":
        return (
            f"{span}: {replay.get('would_change', 0)} of the cell's {replay.get('decisions_in_cell', 0)} decisions "
            f"would have been {replay.get('would_become')} ({_counts(replay.get('changed_by_decision', {}))})"
        )
    if kind == "phrase":
        return (
            f"{span}: “{replay.get('phrase')}” in {replay.get('tickets', 0)} tickets of "
            f"{replay.get('accounts', 0)} accounts; {replay.get('accounts_taken_over_or_churned', 0)} of them "
            "were taken over or churned afterwards"
        )
    if "cards_before" not in replay:
        note = replay.get("note")
        return f"Replay: {note}." if note else None
    missed = (
        ", ".join(str(c.get("name") or c.get("account_id")) for c in replay.get("missed_churn", [])) or "none"
    )
    return (
        f"{span}: cards per CSM per week {replay.get('per_csm_week_before')} → {replay.get('per_csm_week_after')}; "
        f"{len(replay.get('removed', []))} past cards removed ({_counts(replay.get('removed_by_decision', {}))}); "
        f"churned accounts missed: {missed}"
    )


def _counts(by: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(by.items(), key=lambda kv: -kv[1])) or "none"
