"""`calibrate [--outcomes FILE]`: fit the score on outcomes and propose a configuration.

Two fits run on the stored outcomes:
- the signal-level calibration (scoring.signal_calibration): a points curve per signal, from
  (account, month) pairs labelled by churn within `--horizon-days` and from renewals;
- the factor-level fit (scoring.calibration_report): five factor weights on renewals.
The signal-level proposal wins when it beats the current score on its backtest by more than
noise; otherwise the factor-level one is proposed when its bands are ordered. Nothing changes
until ops activates the proposed version (in Slack, or `config activate VERSION`). The report
also says how the triggers tied to the bands move, and how many accounts would start or stop
firing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

from bot.calibration_samples import stored_signal_samples
from bot.deps import Deps
from bot.progress import import_file_progress, track
from bot.tuning.calibration_proposal import propose_calibration
from bot.workflows.cycle import active_trigger_config
from scoring.calibration_report import CalibrationReport, proposed_config
from scoring.calibration_report import calibrate as run_calibration
from scoring.config import TriggerConfig, config_to_dict
from scoring.health import score_columns
from scoring.signal_calibration import SignalCalibration, calibrate_signals
from scoring.signal_proposal import proposed_signal_config, render_signal_report, signal_report_dict
from scoring.trigger_alignment import ScoredAccount, TriggerAlignment, trigger_alignment
from storage.db import transaction
from storage.importer.loader import import_file_as
from storage.repositories.configs import create_config_version
from storage.repositories.feature_table import load_feature_table
from storage.repositories.outcomes import outcome_samples
from storage.repositories.snapshots import latest_scores

SIGNALS = "signals"
FACTORS = "factors"


def calibrate(
    deps: Deps,
    *,
    outcomes_file: Path | None,
    lead_days: int,
    as_json: bool,
    out: TextIO,
    horizon_days: int = 90,
) -> int:
    if outcomes_file is not None:
        if not outcomes_file.is_file():
            print(f"calibrate: {outcomes_file} is not a file", file=out)
            return 2
        imported = import_file_as(
            deps.session_factory, outcomes_file, kind="outcomes.csv", progress=import_file_progress
        )
        if not imported.ok:
            print(imported.render(), file=out)
            print("calibrate: the outcomes file was refused; nothing was calibrated.", file=out)
            return 1
    version, config = active_trigger_config(deps)
    with track("calibrate", total=2, unit="fits") as progress:  # each fit reads the whole history
        factor_report, factor_error = _factor_fit(deps, config, lead_days)
        progress.advance()
        signals, signal_error = _signal_fit(deps, config, horizon_days, lead_days)
        progress.advance()
    if factor_report is None and signals is None:
        print(f"calibrate: {signal_error or factor_error}", file=out)
        if factor_error and signal_error and factor_error != signal_error:
            print(f"calibrate: factor-level fit: {factor_error}", file=out)
        return 1
    kind, proposal = _choose(config, factor_report, signals)
    proposal_version = None
    alignment: TriggerAlignment | None = None
    if proposal is not None:
        with deps.session_factory() as session:
            stored = latest_scores(session)
            rescored = _signal_scores(session, proposal, stored) if kind == SIGNALS else None
            alignment = trigger_alignment(config, proposal, stored, proposed_scores=rescored)
        with transaction(deps.session_factory) as session:
            row = create_config_version(
                session, body=config_to_dict(proposal), author="calibrate", now=deps.clock.now(),
                note=_version_note(kind, factor_report, signals),
            )  # fmt: skip
            proposal_version = row.version
        if kind == SIGNALS and signals is not None:
            _tell_ops(deps, signals, proposal_version, version)
    if as_json:
        print(json.dumps(_json(factor_report, factor_error, signals, signal_error, kind, proposal,
                               proposal_version, version, alignment), indent=2), file=out)  # fmt: skip
    else:
        _print_text(
            out,
            factor_report,
            factor_error,
            signals,
            signal_error,
            kind,
            proposal_version,
            version,
            alignment,
        )
    return 0


def _factor_fit(
    deps: Deps, config: TriggerConfig, lead_days: int
) -> tuple[CalibrationReport | None, str | None]:
    with deps.session_factory() as session:
        found = outcome_samples(session, config=config, lead_days=lead_days)
    try:
        report = run_calibration(found.samples)
    except ValueError as error:
        return None, str(error)
    if found.without_data:
        note = f"{found.without_data:,} outcomes had no data {lead_days} days before their renewal and were left out."
        report = replace(report, warnings=(*report.warnings, note))
    return report, None


def _signal_fit(
    deps: Deps, config: TriggerConfig, horizon_days: int, lead_days: int
) -> tuple[SignalCalibration | None, str | None]:
    samples, _ = stored_signal_samples(
        deps.session_factory, config=config, horizon_days=horizon_days, lead_days=lead_days
    )
    try:
        return calibrate_signals(samples, config=config, horizon_days=horizon_days), None
    except ValueError as error:
        return None, str(error)


def _choose(
    config: TriggerConfig, factor_report: CalibrationReport | None, signals: SignalCalibration | None
) -> tuple[str | None, TriggerConfig | None]:
    if signals is not None and signals.proposed:
        return SIGNALS, proposed_signal_config(config, signals)
    if factor_report is not None and factor_report.bands_ordered:
        return FACTORS, proposed_config(config, factor_report)
    return None, None


def _signal_scores(
    session: Session, proposal: TriggerConfig, stored: list[ScoredAccount]
) -> dict[str, int | None] | None:
    """The book scored with the proposal's curves as of the latest stored score (None: none
    stored); an account stored as a placeholder (no data) stays one."""
    if not stored:
        return None
    as_of = max(account.as_of for account in stored)
    table = load_feature_table(session, as_of=as_of, config=proposal)
    scores = score_columns(table, proposal).scores.tolist()
    by_account = dict(zip(table.account_ids, scores, strict=True))
    return {a.account_id: by_account.get(a.account_id) if a.factors else None for a in stored}


def _version_note(
    kind: str | None, factors: CalibrationReport | None, signals: SignalCalibration | None
) -> str:
    if kind == SIGNALS and signals is not None:
        return (
            f"signal-level calibration on {signals.samples:,} samples; backtest ROC-AUC "
            f"{signals.proposed_metrics.roc_auc:.3f} (current {signals.current_metrics.roc_auc:.3f}, "
            f"reference {signals.reference_metrics.roc_auc:.3f})"
        )
    assert factors is not None
    return (
        f"calibrated on {factors.samples} renewals; {factors.backtest.replace('_', ' ')} "
        f"backtest ROC-AUC {factors.test_metrics.roc_auc:.3f}"
    )


def _tell_ops(deps: Deps, signals: SignalCalibration, proposed_version: int, parent_version: int) -> None:
    """Owe ops the proposal in Slack: one message with the reliability diagram, Accept / Reject /
    Details, then Roll back (bot.tuning.calibration_proposal)."""
    propose_calibration(
        deps, report=signals, proposed_version=proposed_version, parent_version=parent_version
    )


def _json(
    factors: CalibrationReport | None,
    factor_error: str | None,
    signals: SignalCalibration | None,
    signal_error: str | None,
    kind: str | None,
    proposal: TriggerConfig | None,
    proposal_version: int | None,
    version: int,
    alignment: TriggerAlignment | None,
) -> dict[str, Any]:
    body: dict[str, Any] = factors.as_dict() if factors is not None else {"factor_error": factor_error}
    body["signals"] = signal_report_dict(signals) if signals is not None else {"error": signal_error}
    body["proposal"] = kind
    if kind == SIGNALS and signals is not None and proposal is not None:
        # The top-level bands are the proposal's, so they agree with the trigger alignment.
        body["bands"] = {"yellow": signals.yellow, "green": signals.green}
        body["band_rates"] = signal_report_dict(signals)["band_rates"]
        body["bands_ordered"] = _ordered(signals)
    body |= {"proposed_version": proposal_version, "active_version": version, **_alignment_keys(alignment)}
    return body


def _ordered(signals: SignalCalibration) -> bool:
    rates = {r.band: r for r in signals.band_rates}
    if set(rates) != {"red", "yellow", "green"} or any(r.samples == 0 for r in rates.values()):
        return False
    return rates["red"].rate > rates["yellow"].rate > rates["green"].rate


def _print_text(
    out: TextIO,
    factors: CalibrationReport | None,
    factor_error: str | None,
    signals: SignalCalibration | None,
    signal_error: str | None,
    kind: str | None,
    proposal_version: int | None,
    version: int,
    alignment: TriggerAlignment | None,
) -> None:
    if signals is not None:
        print(*render_signal_report(signals), sep="\n", file=out)
    else:
        print(f"Signal-level calibration did not run: {signal_error}", file=out)
    print("", file=out)
    if factors is not None:
        print(factors.render(), file=out)
    else:
        print(f"Factor-level calibration did not run: {factor_error}", file=out)
    if proposal_version is None:
        print(
            "\nNo configuration proposed: the signal-level score is not better than the current one beyond "
            "noise, and the factor-level bands would not be ordered Red > Yellow > Green.",
            file=out,
        )
        return
    assert alignment is not None
    print("", *alignment.render(), sep="\n", file=out)
    which = "signal-level" if kind == SIGNALS else "factor-level"
    print(
        f"\nProposed configuration version {proposal_version} ({which}; inactive; v{version} stays active).\n"
        f"Review: python app.py config diff {version} {proposal_version}\n"
        f"Adopt:  python app.py config activate {proposal_version}",
        file=out,
    )


def _alignment_keys(alignment: TriggerAlignment | None) -> dict[str, object]:
    """The JSON keys, present (empty) when nothing was proposed, so readers need no special case."""
    if alignment is not None:
        return alignment.as_dict()
    return {"trigger_alignment": [], "trigger_alignment_basis": None, "triggers_not_tied_to_bands": []}
