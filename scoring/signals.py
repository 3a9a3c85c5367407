"""The named signals each factor is the sum of, as columns over a whole FeatureTable.

A signal is one figure a CSM can read ("6 tickets in the last 30 days", "Reports used 0.4 times
per active user") with the direction the hand-set score gives it. Two things are built on them:

- `scoring.signal_points.default_points`: the hand-set score taken apart, signal by signal, in
  score points (an account's points add up to 100 minus its unrounded score).
- calibration (`scoring.signal_fit`) fits a points curve per signal on a company's own
  outcomes, and `scoring.signal_score` scores with those curves.

Per-feature signals come from the book's own feature names (`feature_use:Reports`,
`feature_trend:Reports`), so the list of signals is the fixed ones plus two per feature.
Pure: numpy only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from scoring.config import TriggerConfig
from scoring.factors import safe_ratio, usage_change
from scoring.features import FeatureTable, data_quality_flags

HIGHER_IS_WORSE = 1  # more of it, more churn (tickets, overdue invoices)
LOWER_IS_WORSE = -1  # less of it, more churn (utilisation, replies)
FEATURE_USE = "feature_use:"
FEATURE_TREND = "feature_trend:"


@dataclass(frozen=True)
class SignalSpec:
    name: str  # stable key: "ticket_volume", "feature_use:Reports"
    factor: str  # one of FACTORS
    label: str  # for sentences: "support tickets", "use of Reports"
    direction: int  # HIGHER_IS_WORSE or LOWER_IS_WORSE: the hand-set score's direction
    formula: str  # for the README and the Details view
    values: Callable[[FeatureTable, TriggerConfig], np.ndarray]  # NaN: no such figure
    figure: Callable[[float, TriggerConfig], str]  # one value in words


def _mean_active(t: FeatureTable) -> np.ndarray:
    return safe_ratio(t["u_active"], t["u_days"])


def _utilisation(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    value = safe_ratio(t["u_active"], t["u_seats"])
    return np.where((t["u_days"] >= config.usage.min_days) & (t["u_seats"] > 0), value, np.nan)


def _with_baseline(t: FeatureTable, config: TriggerConfig, values: np.ndarray) -> np.ndarray:
    has_base, _, _ = usage_change(t)
    enough = has_base & (t["u_base_days"] >= config.usage.min_days) & (t["u_days"] >= config.usage.min_days)
    return np.where(enough, values, np.nan)


def _user_trend(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    return _with_baseline(t, config, usage_change(t)[1])


def _last_days(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    return _with_baseline(t, config, usage_change(t)[2])


def _breadth(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    return np.where(t["f_any"] > 0, t["f_breadth"], np.nan)


def ticket_norms(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    norms = config.support.norm_tickets
    return np.fromiter(map(norms.get, t.segments, repeat(0.0)), dtype=float, count=len(t))  # type: ignore[arg-type]


def _tickets_over_norm(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    return t["s_recent"] - ticket_norms(t, config)


def tone(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    return np.where(t["s_tone_n"] > 0, safe_ratio(t["s_tone_sum"], t["s_tone_n"]), np.nan)


def tone_change(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    previous = np.where(t["s_prev_tone_n"] > 0, safe_ratio(t["s_prev_tone_sum"], t["s_prev_tone_n"]), np.nan)
    return tone(t, config) - previous


def reply_rate(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    rate = np.minimum(1.0, safe_ratio(t["e_replied"], t["e_sent"]))
    return np.where(t["e_sent"] >= config.engagement.min_outreach_for_rate, rate, np.nan)


def _linked(name: str) -> Callable[[FeatureTable, TriggerConfig], np.ndarray]:
    """A conversation column, NaN where the account has no linked channel."""
    return lambda t, config: np.where(t["c_linked"] > 0, t[name].astype(float), np.nan)


def channel_tone(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    return np.where(t["c_tone_n"] > 0, safe_ratio(t["c_tone_sum"], t["c_tone_n"]), np.nan)


def channel_tone_change(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    before = np.where(t["c_prev_tone_n"] > 0, safe_ratio(t["c_prev_tone_sum"], t["c_prev_tone_n"]), np.nan)
    return channel_tone(t, config) - before


def _conversation_days(config: TriggerConfig) -> int:
    return config.conversations.window_days


def _column(name: str) -> Callable[[FeatureTable, TriggerConfig], np.ndarray]:
    return lambda t, config: t[name].astype(float)


def _sum(*names: str) -> Callable[[FeatureTable, TriggerConfig], np.ndarray]:
    return lambda t, config: np.sum([t[name] for name in names], axis=0).astype(float)


def _count(
    word: str, days: Callable[[TriggerConfig], int], many: str | None = None
) -> Callable[[float, TriggerConfig], str]:
    def words(value: float, config: TriggerConfig) -> str:
        n = round(value)
        return f"{n} {word if n == 1 else (many or word + 's')} in the last {days(config)} days"

    return words


def _support_days(config: TriggerConfig) -> int:
    return config.support.window_days


def _billing_days(config: TriggerConfig) -> int:
    return config.billing.window_days


def _engagement_days(config: TriggerConfig) -> int:
    return config.engagement.window_days


def _percent_change(what: str) -> Callable[[float, TriggerConfig], str]:
    def words(value: float, config: TriggerConfig) -> str:
        if abs(value) < 0.005:
            return f"{what} level with the {config.usage.window_days} days before"
        return f"{what} {'down' if value < 0 else 'up'} {abs(value):.0%} on the {config.usage.window_days} days before"

    return words


def _tickets_words(value: float, config: TriggerConfig) -> str:
    if value == 0:
        return f"tickets at the segment's norm in the last {config.support.window_days} days"
    side = "above" if value > 0 else "below"
    count = f"{abs(value):g} ticket{'' if abs(value) == 1 else 's'}"
    return f"{count} {side} the segment's norm in the last {config.support.window_days} days"


FIXED_SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec(
        "seat_utilisation", "usage", "seat utilisation", LOWER_IS_WORSE,
        "active users summed over the usage window / licensed seats summed over it",
        _utilisation, lambda v, c: f"{v:.0%} of seats active over the last {c.usage.window_days} days",
    ),
    SignalSpec(
        "active_user_trend", "usage", "growth in active users", LOWER_IS_WORSE,
        "mean daily active users in the usage window / the mean in the window before − 1",
        _user_trend, _percent_change("active users"),
    ),
    SignalSpec(
        "last_7_days", "usage", "active users in the last days", LOWER_IS_WORSE,
        "mean daily active users in the latest trend days / the baseline window's mean − 1",
        _last_days, lambda v, c: _percent_change(f"the last {c.usage.trend_days} days' active users")(v, c),
    ),
    SignalSpec(
        "feature_breadth", "usage", "features in use", LOWER_IS_WORSE,
        "distinct product features used in the usage window (NaN without feature data)",
        _breadth, lambda v, c: f"{v:.0f} features in use",
    ),
    SignalSpec(
        "ticket_volume", "support", "support tickets", HIGHER_IS_WORSE,
        "tickets opened in the support window − the segment's norm",
        _tickets_over_norm, _tickets_words,
    ),
    SignalSpec(
        "severe_tickets", "support", "high and urgent tickets", HIGHER_IS_WORSE,
        "high + urgent tickets opened in the support window",
        _sum("s_high", "s_urgent"), _count("high or urgent ticket", _support_days),
    ),
    SignalSpec(
        "escalation_requests", "support", "escalation requests", HIGHER_IS_WORSE,
        "escalation requests opened in the support window or still open",
        _column("s_escalations"), _count("escalation request", _support_days),
    ),
    SignalSpec(
        "open_tickets", "support", "open tickets", HIGHER_IS_WORSE,
        "tickets still open on the scoring day",
        _column("s_open"), lambda v, c: f"{v:.0f} tickets open",
    ),
    SignalSpec(
        "ticket_tone", "support", "friendliness in tickets", LOWER_IS_WORSE,
        "mean tone (-1..1) of tickets opened in the support window",
        tone, lambda v, c: f"ticket tone {v:+.2f}",
    ),
    SignalSpec(
        "tone_trend", "support", "improvement in ticket tone", LOWER_IS_WORSE,
        "mean ticket tone in the support window − the mean in the window before",
        tone_change, lambda v, c: f"ticket tone {'up' if v >= 0 else 'down'} {abs(v):.2f} on the window before",
    ),
    SignalSpec(
        "overdue_invoices", "billing", "overdue invoices", HIGHER_IS_WORSE,
        "invoice_overdue events in the billing window",
        _column("b_overdue"), _count("overdue invoice", _billing_days),
    ),
    SignalSpec(
        "failed_payments", "billing", "failed payments", HIGHER_IS_WORSE,
        "payment_failed events in the billing window",
        _column("b_failed"), _count("failed payment", _billing_days),
    ),
    SignalSpec(
        "downgrades", "billing", "downgrades", HIGHER_IS_WORSE,
        "downgrade events in the billing window",
        _column("b_downgrades"), _count("downgrade", _billing_days),
    ),
    SignalSpec(
        "reply_rate", "engagement", "replies to outreach", LOWER_IS_WORSE,
        "outreach replied / outreach sent in the engagement window (NaN below the minimum sent)",
        reply_rate, lambda v, c: f"{v:.0%} of outreach emails replied to",
    ),
    SignalSpec(
        "meetings", "engagement", "meetings", LOWER_IS_WORSE,
        "meetings in the engagement window",
        _column("e_meetings"), _count("meeting", _engagement_days),
    ),
    SignalSpec(
        "nps", "engagement", "NPS", LOWER_IS_WORSE,
        "the latest NPS answer (0-10) in the engagement window",
        _column("e_nps"), lambda v, c: f"latest NPS {v:.0f}",
    ),
    SignalSpec(
        "survey", "engagement", "survey scores", LOWER_IS_WORSE,
        "the latest survey score in the engagement window",
        _column("e_survey"), lambda v, c: f"latest survey {v:g} of {c.engagement.survey_scale:g}",
    ),
    SignalSpec(
        "public_complaints", "engagement", "public complaints", HIGHER_IS_WORSE,
        "public_complaint events in the engagement window",
        _column("e_complaints"), _count("public complaint", _engagement_days),
    ),
    SignalSpec(
        "milestones_overdue", "onboarding", "overdue onboarding steps", HIGHER_IS_WORSE,
        "onboarding steps past their due date and not done",
        _column("o_overdue"), lambda v, c: f"{v:.0f} onboarding steps overdue",
    ),
    SignalSpec(
        "milestones_late", "onboarding", "onboarding steps done late", HIGHER_IS_WORSE,
        "onboarding steps done after their due date",
        _column("o_late"), lambda v, c: f"{v:.0f} onboarding steps done late",
    ),
)  # fmt: skip
# What a linked Slack Connect channel says (scoring.conversation_signals). NaN for an account
# without a linked channel: missing, never zero, so such an account scores exactly as before.
# The hand-set score gives them no points (scoring.signal_points); calibration fits their curves.
CONVERSATION_SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec(
        "channel_messages", "engagement", "customer messages in their channel", LOWER_IS_WORSE,
        "customer messages in the linked channels in the conversation window (NaN without a linked channel)",
        _linked("c_messages"), lambda v, c: f"{v:.0f} customer messages in their channel in the last {c.conversations.window_days} days",
    ),
    SignalSpec(
        "channel_tone", "engagement", "friendliness in their channel", LOWER_IS_WORSE,
        "mean tone (-1..1) of the customer's messages in the conversation window",
        channel_tone, lambda v, c: f"channel tone {v:+.2f}",
    ),
    SignalSpec(
        "channel_tone_trend", "engagement", "improvement in channel tone", LOWER_IS_WORSE,
        "mean channel tone in the conversation window − the mean in the window before",
        channel_tone_change, lambda v, c: f"channel tone {'up' if v >= 0 else 'down'} {abs(v):.2f} on the window before",
    ),
    SignalSpec(
        "hostile_messages", "engagement", "hostile messages in their channel", HIGHER_IS_WORSE,
        "customer messages at or below the hostile tone in the conversation window",
        _linked("c_hostile"), lambda v, c: _count("hostile channel message", _conversation_days)(v, c),
    ),
    SignalSpec(
        "alarm_mentions", "engagement", "mentions of a competitor or cancelling", HIGHER_IS_WORSE,
        "customer messages on an alarm topic (competitor, cancel) in the conversation window",
        _linked("c_alarms"), lambda v, c: _count("channel mention of a competitor or cancelling", _conversation_days, "channel mentions of a competitor or cancelling")(v, c),
    ),
    SignalSpec(
        "unanswered_questions", "engagement", "unanswered customer questions", HIGHER_IS_WORSE,
        "customer questions with no internal reply after the unanswered working hours",
        _linked("c_waiting"), lambda v, c: f"{v:.0f} customer question{'' if round(v) == 1 else 's'} unanswered for {c.conversations.unanswered_working_hours:g}+ working hours",
    ),
    SignalSpec(
        "champion_silence", "engagement", "silence from their champion", HIGHER_IS_WORSE,
        "days since the named champion's last message in a linked channel (NaN without a champion)",
        _linked("c_champion_silence"), lambda v, c: f"champion silent in their channel for {v:.0f} days",
    ),
)  # fmt: skip
FIXED_SIGNALS = (*FIXED_SIGNALS, *CONVERSATION_SIGNALS)
FIXED_NAMES = tuple(spec.name for spec in FIXED_SIGNALS)


def feature_use_spec(feature: str) -> SignalSpec:
    def values(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
        uses = _feature_column(t, t.feature_uses, feature)
        return np.where(t["f_any"] > 0, uses / np.maximum(1.0, _mean_active(t)), np.nan)

    return SignalSpec(
        f"{FEATURE_USE}{feature}", "usage", f"use of {feature}", LOWER_IS_WORSE,
        f"uses of {feature} in the usage window / mean daily active users (NaN without feature data)",
        values, lambda v, c: f"{feature} used {v:.1f} times per active user in the last {c.usage.window_days} days",
    )  # fmt: skip


def feature_trend_spec(feature: str) -> SignalSpec:
    def values(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
        now = _feature_column(t, t.feature_uses, feature)
        before = _feature_column(t, t.feature_base_uses, feature)
        return np.where(t["f_any"] > 0, np.log2((now + 1) / (before + 1)), np.nan)

    def words(value: float, config: TriggerConfig) -> str:
        if abs(value) < 0.05:
            return f"{feature} use level with the {config.usage.window_days} days before"
        factor = 2 ** abs(value)
        return f"{feature} use {'up' if value > 0 else 'down'} {factor:.1f}× on the {config.usage.window_days} days before"

    return SignalSpec(
        f"{FEATURE_TREND}{feature}", "usage", f"growth in the use of {feature}", LOWER_IS_WORSE,
        f"log2((uses of {feature} in the usage window + 1) / (uses in the window before + 1))",
        values, words,
    )  # fmt: skip


def _feature_column(t: FeatureTable, matrix: np.ndarray, feature: str) -> np.ndarray:
    if feature not in t.feature_names:
        return np.zeros(len(t))
    return matrix[:, t.feature_names.index(feature)].astype(float)


def signal_specs(feature_names: Sequence[str]) -> tuple[SignalSpec, ...]:
    """The fixed signals, then use and trend of each named product feature."""
    per_feature = [
        spec for name in feature_names for spec in (feature_use_spec(name), feature_trend_spec(name))
    ]
    return (*FIXED_SIGNALS, *per_feature)


def spec_for(name: str) -> SignalSpec:
    """The spec of one signal key (a feature signal for any feature name)."""
    if name.startswith(FEATURE_USE):
        return feature_use_spec(name.removeprefix(FEATURE_USE))
    if name.startswith(FEATURE_TREND):
        return feature_trend_spec(name.removeprefix(FEATURE_TREND))
    for spec in FIXED_SIGNALS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown signal {name!r}")


def signal_matrix(t: FeatureTable, specs: Sequence[SignalSpec], config: TriggerConfig) -> np.ndarray:
    """n x len(specs) values, NaN where an account has no such figure."""
    if not specs:
        return np.zeros((len(t), 0))
    return np.stack([spec.values(t, config) for spec in specs], axis=1).reshape(len(t), len(specs))


def calibration_inputs(t: FeatureTable, specs: Sequence[SignalSpec], config: TriggerConfig) -> np.ndarray:
    """The values the calibrated score reads: `signal_matrix`, with the usage signals of an
    account under a migration, data gap or stopped feed read as "no figure" — in training and
    in scoring alike — so a data problem never costs usage points as if it were churn."""
    values = signal_matrix(t, specs, config)
    flagged = data_quality_flags(t, config)
    if flagged.any():
        usage = np.array([k for k, spec in enumerate(specs) if spec.factor == "usage"], dtype=int)
        values[np.ix_(np.flatnonzero(flagged), usage)] = np.nan
    return values


def signal_figures(
    t: FeatureTable, row: int, names: Sequence[str], config: TriggerConfig
) -> dict[str, str | None]:
    """One account's figure per signal, in words (None: no figure; under a calibrated score,
    also a usage figure it does not trust just now, see `calibration_inputs`)."""
    specs = [spec_for(name) for name in names]
    read = calibration_inputs if config.signal_model.shapes else signal_matrix
    values = read(t, specs, config)[row]
    return {
        spec.name: None if np.isnan(value) else spec.figure(float(value), config)
        for spec, value in zip(specs, values, strict=True)
    }
