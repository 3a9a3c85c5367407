"""`python app.py config show|diff|activate`: the versioned trigger configuration.

`diff` also says how the triggers tied to the bands stand in the newer version, and how many
accounts (on their latest stored scores) would start or stop firing if it were active.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from bot.deps import Deps
from bot.workflows.cycle import active_trigger_config
from scoring.config import TriggerConfig as ScoringConfig
from scoring.trigger_alignment import trigger_alignment
from storage.db import transaction
from storage.models import TriggerConfig
from storage.repositories import configs, snapshots


def flatten(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"bands": {"green": 75}} -> {"bands.green": 75}: the keys a diff can name."""
    flat: dict[str, Any] = {}
    for key, value in body.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def diff_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = flatten(old), flatten(new)
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            lines.append(f"- {key}: {json.dumps(before[key])}")
        elif key not in before:
            lines.append(f"+ {key}: {json.dumps(after[key])}")
        elif before[key] != after[key]:
            lines.append(f"~ {key}: {json.dumps(before[key])} → {json.dumps(after[key])}")
    return lines


def _version(deps: Deps, version: int | None) -> TriggerConfig | None:
    active_trigger_config(deps)  # version 1 exists from the first use on
    with deps.session_factory() as session:
        if version is None:
            return configs.active_config(session)
        return session.get(TriggerConfig, version)


def show(deps: Deps, *, version: int | None, out: TextIO) -> int:
    row = _version(deps, version)
    if row is None:
        print(f"no trigger configuration version {version}", file=out)
        return 1
    state = "active" if row.active else "inactive"
    print(
        f"# version {row.version} ({state}), by {row.author} at {row.created_at:%Y-%m-%d %H:%M} UTC. {row.note}",
        file=out,
    )
    print(json.dumps(row.body, indent=2, sort_keys=True), file=out)
    return 0


def diff(deps: Deps, *, old: int, new: int | None, out: TextIO) -> int:
    before, after = _version(deps, old), _version(deps, new)
    if before is None or after is None:
        print(f"no trigger configuration version {old if before is None else new}", file=out)
        return 1
    lines = diff_lines(before.body, after.body)
    print(f"version {before.version} → version {after.version}: {len(lines)} change(s)", file=out)
    for line in lines:
        print(f"  {line}", file=out)
    with deps.session_factory() as session:
        scored = snapshots.latest_scores(session)
    alignment = trigger_alignment(
        ScoringConfig.model_validate(before.body), ScoringConfig.model_validate(after.body), scored
    )
    print("", *alignment.render(), sep="\n", file=out)
    return 0


def activate(deps: Deps, *, version: int, out: TextIO) -> int:
    active_trigger_config(deps)
    try:
        with transaction(deps.session_factory) as session:
            configs.activate(session, version=version)
    except LookupError as error:
        print(str(error), file=out)
        return 1
    print(f"trigger configuration version {version} is now active; the next cycle uses it", file=out)
    return 0
