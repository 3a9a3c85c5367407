"""Threshold triggers against the score bands: which settings are tied to the Red band, how a
new configuration version moves them, and how many accounts would start or stop firing.

Red is a score below the Red cut-off (`bands.yellow`, or a segment's own bands). Two settings
read the health score against that line:
- `triggers.health_low.threshold`: health_low fires below it. In line with the bands when it
  equals the Red cut-off: the trigger fires on every Red account and on no other.
- `triggers.expansion_ready.min_health`: no sales hand-off below it. In line when it equals the
  Red cut-off: no Red account is handed to sales, and every other ready one can be.
The other thresholds are not on the health score's scale (NOT_TIED says why), so the bands do
not move them. `aligned_with_bands` ties the two to the Red cut-off (calibration's proposals do);
`trigger_alignment` compares two versions on the accounts' latest stored scores.

Pure: the stored scores arrive as ScoredAccount values (storage builds them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from scoring.config import FACTORS, TriggerConfig, config_to_dict
from scoring.health import score_from_factors
from scoring.types import Segment

ALL_SEGMENTS = "all"
WEIGHT_TOLERANCE = 1e-4  # stored effective weights have 4 decimals


@dataclass(frozen=True, slots=True)
class ScoredAccount:
    """An account's latest stored score, as far as the triggers tied to the bands read it."""

    account_id: str
    segment: str
    as_of: date
    score: int
    factors: Mapping[str, tuple[float, float]]  # factor -> (score, effective weight): those with data
    expansion_readiness: int | None


@dataclass(frozen=True, slots=True)
class TiedSetting:
    trigger: str
    field: str  # triggers.<trigger>.<field>
    does: str  # what the number does, in words, before the number
    in_line: str  # what equal to the Red cut-off means
    below: str  # what a value below the cut-off means ({low}-{high}: the scores in between)
    above: str  # ... and a value above it
    fires: Callable[[TriggerConfig, int, int | None], bool]  # config, score, expansion readiness

    @property
    def setting(self) -> str:
        return f"triggers.{self.trigger}.{self.field}"

    def value(self, config: TriggerConfig) -> int:
        return int(getattr(getattr(config.triggers, self.trigger), self.field))


def _expansion_fires(config: TriggerConfig, score: int, readiness: int | None) -> bool:
    rules = config.triggers.expansion_ready
    return readiness is not None and readiness > rules.threshold and score >= rules.min_health


TIED = (
    TiedSetting(
        "health_low",
        "threshold",
        "fires below",
        "it fires on every Red account and on no other",
        "Red accounts scoring {low}-{high} get no health_low alert",
        "accounts scoring {low}-{high} are not Red but fire health_low",
        lambda config, score, _: score < config.triggers.health_low.threshold,
    ),
    TiedSetting(
        "expansion_ready",
        "min_health",
        "needs a health score of at least",
        "no Red account is handed to sales",
        "Red accounts scoring {low}-{high} can be handed to sales",
        "accounts scoring {low}-{high} are not Red but are not handed to sales",
        _expansion_fires,
    ),
)

# Thresholds on other scales: the bands do not move them (trigger, setting, what it reads).
NOT_TIED = (
    ("health_drop", "triggers.health_drop.drop_fraction",
     "a fall against the account's own score 30 days earlier, whatever its band"),
    ("expansion_ready", "triggers.expansion_ready.threshold",
     "expansion readiness, its own 0-100 score (seat use, team growth, adoption breadth, health)"),
    ("renewal_risk", "triggers.renewal_risk.high_risk",
     "a churn probability from the renewal-risk model, not the health score"),
    ("renewal_reminder", "triggers.renewal_reminder.low_risk",
     "a churn probability from the renewal-risk model, not the health score"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlignmentRow:
    trigger: str
    setting: str
    segment: str  # "all", or a segment when either version has bands per segment
    band: str  # the band the setting is tied to
    current: int  # the setting in the current (old) version
    proposed: int  # ... in the proposed (new) one
    band_cutoff: int  # where that band ends in the proposed version
    aligned: bool  # proposed == band_cutoff
    accounts_start_firing: int | None  # None: no stored scores to count on
    accounts_stop_firing: int | None


@dataclass(frozen=True)
class TriggerAlignment:
    rows: tuple[AlignmentRow, ...]
    not_tied: tuple[tuple[str, str, str, str], ...]  # trigger, setting, proposed value, what it reads
    accounts: int  # accounts with a stored score, counted on
    latest: date | None  # the newest of their score dates
    rescored_by_signals: bool = False  # the proposal's scores came from its signal curves

    def render(self) -> list[str]:
        lines = ["Triggers tied to the bands (Red is a score below the Red cut-off, bands.yellow):"]
        for row in self.rows:
            setting = next(s for s in TIED if s.setting == row.setting)
            where = "" if row.segment == ALL_SEGMENTS else f"{row.segment}: "
            change = (
                f"{row.current} → {row.proposed}"
                if row.current != row.proposed
                else f"{row.proposed} (unchanged)"
            )
            if row.aligned:
                relation = setting.in_line
            else:
                low, high = sorted((row.proposed, row.band_cutoff))
                gap = setting.below if row.proposed < row.band_cutoff else setting.above
                relation = "out of line: " + gap.format(low=low, high=high - 1)
            lines.append(
                f"  {where}{row.trigger} {setting.does} {row.setting}: {change}. "
                f"Red starts below {row.band_cutoff}, so {relation}."
            )
            if row.accounts_start_firing is not None:
                lines.append(
                    f"    {_accounts(row.accounts_start_firing)} would start firing, "
                    f"{row.accounts_stop_firing:,} would stop."
                )
        if self.latest is None:
            lines.append(
                "  No stored health scores yet (`score` or `cycle` stores them): the accounts that would "
                "start or stop firing cannot be counted."
            )
        else:
            how = (
                "the proposal's scores from its signal curves on the book as of that day"
                if self.rescored_by_signals
                else "rescored with each version's weights"
            )
            lines.append(
                f"  Counted on the latest stored score of {_accounts(self.accounts)} (the newest from "
                f"{self.latest.isoformat()}), {how}: new weights move "
                "scores too, which is how an account can stop firing while a threshold rises. "
                "Expansion readiness as stored."
            )
        lines.append("Not tied to the bands (on other scales, so the bands do not move them):")
        lines.extend(f"  {setting} ({value}): {why}." for _, setting, value, why in self.not_tied)
        lines.append(
            "  A new renewal-risk model (calibrate refits it) moves every account's churn probability, "
            "so who crosses those two changes even where they do not (not counted here)."
        )
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "trigger_alignment": [asdict(row) for row in self.rows],
            "trigger_alignment_basis": {
                "accounts": self.accounts,
                "latest_score_date": self.latest.isoformat() if self.latest else None,
                "proposal_scored_by": "signal curves" if self.rescored_by_signals else "factor weights",
            },
            "triggers_not_tied_to_bands": [
                {"trigger": trigger, "setting": setting, "value": value, "why": why}
                for trigger, setting, value, why in self.not_tied
            ],
        }


def _accounts(count: int) -> str:
    return f"{count:,} account{'' if count == 1 else 's'}"


def aligned_with_bands(config: TriggerConfig) -> TriggerConfig:
    """`config` with every tied setting at the Red cut-off of the bands (`bands`; a setting has
    one value for every segment, so bands per segment show up as out of line instead)."""
    body = config_to_dict(config)
    for setting in TIED:
        body["triggers"][setting.trigger][setting.field] = config.bands.yellow
    return TriggerConfig.model_validate(body)


def trigger_alignment(
    current: TriggerConfig,
    proposed: TriggerConfig,
    accounts: Sequence[ScoredAccount],
    *,
    proposed_scores: Mapping[str, int | None] | None = None,
) -> TriggerAlignment:
    """Each tied setting in both versions, and the accounts whose trigger would start or stop
    firing: each account's stored factor scores are weighted as each version weighs them (its
    stored score where the weights are the ones it was scored with) and read against each
    version's settings. A signal-level proposal cannot be rescored from stored factor scores:
    its scores come in `proposed_scores` (the book scored with its curves)."""
    before = {a.account_id: _score_under(a, current) for a in accounts}
    if proposed_scores is None:
        after = {a.account_id: _score_under(a, proposed) for a in accounts}
    else:
        after = {a.account_id: proposed_scores.get(a.account_id) for a in accounts}
    per_segment = bool(current.segment_bands or proposed.segment_bands)
    segments = [s.value for s in Segment] if per_segment else [ALL_SEGMENTS]
    rows = []
    for setting in TIED:
        for segment in segments:
            group = [a for a in accounts if segment in (ALL_SEGMENTS, a.segment)]
            start = stop = 0
            for a in group:
                old, new = before[a.account_id], after[a.account_id]
                was = old is not None and setting.fires(current, old, a.expansion_readiness)
                will = new is not None and setting.fires(proposed, new, a.expansion_readiness)
                start, stop = start + (will and not was), stop + (was and not will)
            cutoff = (proposed.bands if segment == ALL_SEGMENTS else proposed.bands_for(segment)).yellow
            rows.append(
                AlignmentRow(
                    trigger=setting.trigger,
                    setting=setting.setting,
                    segment=segment,
                    band="red",
                    current=setting.value(current),
                    proposed=setting.value(proposed),
                    band_cutoff=cutoff,
                    aligned=setting.value(proposed) == cutoff,
                    accounts_start_firing=start if accounts else None,
                    accounts_stop_firing=stop if accounts else None,
                )
            )
    rules = proposed.triggers
    values = (
        f"{rules.health_drop.drop_fraction:.0%} in {rules.health_drop.window_days} days",
        str(rules.expansion_ready.threshold),
        str(rules.renewal_risk.high_risk),
        str(rules.renewal_reminder.low_risk),
    )
    return TriggerAlignment(
        rows=tuple(rows),
        not_tied=tuple((t, s, v, why) for (t, s, why), v in zip(NOT_TIED, values, strict=True)),
        accounts=len(accounts),
        latest=max((a.as_of for a in accounts), default=None),
        rescored_by_signals=proposed_scores is not None,
    )


def _score_under(account: ScoredAccount, config: TriggerConfig) -> int | None:
    """The account's score under `config`'s weights; None for a placeholder (fires nothing)."""
    weights = config.weights_for(account.segment)
    used = [name for name in FACTORS if name in account.factors and weights[name] > 0]
    total = sum(weights[name] for name in used)
    if (
        total > 0
        and len(used) == len(account.factors)
        and all(abs(weights[name] / total - account.factors[name][1]) <= WEIGHT_TOLERANCE for name in used)
    ):
        return account.score  # the weights it was scored with
    return score_from_factors({name: score for name, (score, _) in account.factors.items()}, weights)
