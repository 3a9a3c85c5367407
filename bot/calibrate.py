"""`calibrate [--outcomes FILE]`: fit the score on renewal outcomes and propose a configuration.

Nothing changes until ops activates the proposed version (`config activate VERSION`). The
report also says how the triggers tied to the bands move with the proposal, and how many
accounts (on their latest stored scores) would start or stop firing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.deps import Deps
from bot.workflows.cycle import active_trigger_config
from scoring.calibration_report import calibrate as run_calibration
from scoring.calibration_report import proposed_config
from scoring.config import config_to_dict
from scoring.trigger_alignment import TriggerAlignment, trigger_alignment
from storage.db import transaction
from storage.importer.loader import import_file_as
from storage.repositories.configs import create_config_version
from storage.repositories.outcomes import outcome_samples
from storage.repositories.snapshots import latest_scores


def calibrate(deps: Deps, *, outcomes_file: Path | None, lead_days: int, as_json: bool, out: TextIO) -> int:
    if outcomes_file is not None:
        if not outcomes_file.is_file():
            print(f"calibrate: {outcomes_file} is not a file", file=out)
            return 2
        imported = import_file_as(deps.session_factory, outcomes_file, kind="outcomes.csv")
        if not imported.ok:
            print(imported.render(), file=out)
            print("calibrate: the outcomes file was refused; nothing was calibrated.", file=out)
            return 1
    version, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        found = outcome_samples(session, config=config, lead_days=lead_days)
    try:
        report = run_calibration(found.samples)
    except ValueError as error:
        print(f"calibrate: {error}", file=out)
        return 1
    if found.without_data:
        note = f"{found.without_data:,} outcomes had no data {lead_days} days before their renewal and were left out."
        report = replace(report, warnings=(*report.warnings, note))
    proposal_version = None
    alignment: TriggerAlignment | None = None
    if report.bands_ordered:
        proposal = proposed_config(config, report)
        with deps.session_factory() as session:
            alignment = trigger_alignment(config, proposal, latest_scores(session))
        with transaction(deps.session_factory) as session:
            row = create_config_version(
                session,
                body=config_to_dict(proposal),
                author="calibrate",
                now=deps.clock.now(),
                note=f"calibrated on {report.samples} renewals; {report.backtest.replace('_', ' ')} "
                f"backtest ROC-AUC {report.test_metrics.roc_auc:.3f}",
            )
            proposal_version = row.version
    if as_json:
        print(
            json.dumps(
                {
                    **report.as_dict(),
                    "proposed_version": proposal_version,
                    "active_version": version,
                    **_alignment_keys(alignment),
                },
                indent=2,
            ),
            file=out,
        )
    else:
        print(report.render(), file=out)
        if proposal_version is None:
            print(
                "\nNo configuration proposed: the bands would not be ordered Red > Yellow > Green.", file=out
            )
        else:
            assert alignment is not None
            print("", *alignment.render(), sep="\n", file=out)
            print(
                f"\nProposed configuration version {proposal_version} (inactive; v{version} stays active).\n"
                f"Review: python app.py config diff {version} {proposal_version}\n"
                f"Adopt:  python app.py config activate {proposal_version}",
                file=out,
            )
    return 0


def _alignment_keys(alignment: TriggerAlignment | None) -> dict[str, object]:
    """The JSON keys, present (empty) when nothing was proposed, so readers need no special case."""
    if alignment is not None:
        return alignment.as_dict()
    return {"trigger_alignment": [], "trigger_alignment_basis": None, "triggers_not_tied_to_bands": []}
