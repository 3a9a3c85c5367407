"""The five health factors over a whole FeatureTable at once: 0-100 each, NaN without data.

Problems cost points off 100 (support, billing, onboarding); usage and engagement are measured
against a healthy level. Each moves one way with its evidence: more recent usage never lowers
usage, more overdue invoices never raise billing, more replies never lower engagement.

`*_detail` turns one row's figures into the words a CSM reads ("12 of 40 seats active ...");
the words and the score come from the same columns, so they cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from scoring.config import TriggerConfig
from scoring.features import FeatureTable, table_from_facts
from scoring.sentiment import tone_words
from scoring.types import AccountFacts, FactorScore


def plural(count: float, word: str, many: str | None = None) -> str:
    n = int(count)
    return f"{n} {word if n == 1 else (many or word + 's')}"


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (no warning, no inf)."""
    out = np.zeros_like(numerator, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


# -- usage ----------------------------------------------------------------------------------
def usage_change(t: FeatureTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(has a baseline, change of mean active users on the baseline, same for the trend days)."""
    base_mean = safe_ratio(t["u_base_active"], t["u_base_days"])
    has_base = base_mean > 0
    window_mean = safe_ratio(t["u_active"], t["u_days"])
    change = np.where(has_base, safe_ratio(window_mean, base_mean) - 1, 0.0)
    trend_mean = safe_ratio(t["u_trend_active"], t["u_trend_days"])
    trend_change = np.where(has_base & (t["u_trend_days"] > 0), safe_ratio(trend_mean, base_mean) - 1, change)
    return has_base, change, trend_change


def breadth_scores(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Distinct features used in the window against a healthy number; NaN without feature data."""
    score = np.minimum(100.0, t["f_breadth"] / config.usage.healthy_breadth * 100)
    return np.where(t["f_any"] > 0, score, np.nan)


def usage_scores(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Utilisation (and breadth, when feature data exists) against healthy levels, less a
    penalty for the decline of active users against the baseline (the window before; it never
    overlaps the window, so more usage inside the window can only raise the factor)."""
    rules = config.usage
    utilisation = safe_ratio(t["u_active"], t["u_seats"])
    score = np.minimum(100.0, utilisation / rules.healthy_utilisation * 100)
    breadth = breadth_scores(t, config)
    score = np.where(
        np.isnan(breadth), score, (1 - rules.breadth_weight) * score + rules.breadth_weight * breadth
    )
    has_base, change, trend_change = usage_change(t)
    enough_base = has_base & (t["u_base_days"] >= rules.min_days)
    decline = np.where(enough_base, np.maximum(0.0, np.maximum(-change, -trend_change)), 0.0)
    score = score - decline * 100 * rules.drop_penalty_per_percent
    return np.where(t["u_days"] >= rules.min_days, np.clip(score, 0, 100), np.nan)


def usage_detail(t: FeatureTable, i: int, config: TriggerConfig) -> str:
    v = t.py
    rules = config.usage
    days, active, seats = v["u_days"][i], v["u_active"][i], v["u_seats"][i]
    if not days:  # a calibrated score books points on missing usage too (scoring.signal_score)
        return f"no usage data in the last {rules.window_days} days"
    utilisation = active / seats if seats > 0 else 0.0
    detail = (
        f"{active / days:.0f} of {seats / days:.0f} seats active on average over the last "
        f"{rules.window_days} days ({utilisation:.0%})"
    )
    if v["f_any"][i] > 0:
        detail += f", {plural(v['f_breadth'][i], 'feature')} in use"
    if v["u_base_days"][i] >= rules.min_days and v["u_base_active"][i] > 0:
        base_mean = v["u_base_active"][i] / v["u_base_days"][i]
        change = (active / days) / base_mean - 1
        trend_days = v["u_trend_days"][i]
        trend_mean = v["u_trend_active"][i] / trend_days if trend_days else active / days
        trend_change = trend_mean / base_mean - 1
        if abs(change) < 0.005:
            detail += f", level with the {rules.window_days} days before"
        else:
            direction = "down" if change < 0 else "up"
            detail += f", {direction} {abs(change):.0%} on the {rules.window_days} days before"
        if -trend_change >= max(0.0, -change) + 0.05:
            detail += (
                f"; the last {rules.trend_days} days average {trend_mean:.0f} active users, "
                f"down {-trend_change:.0%}"
            )
    return detail


# -- support --------------------------------------------------------------------------------
def _mean_tone(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.where(count > 0, safe_ratio(total, count), np.nan)


def support_scores(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Points off 100: tickets opened in the window (by severity), tickets beyond the segment's
    norm, escalation requests (opened in the window or still open), tickets still open, a
    negative tone and a tone that got worse. No tickets is good news only with tickets on record."""
    rules = config.support
    points = sum(
        t[f"s_{name}"] * getattr(rules.ticket_points, name) for name in ("low", "normal", "high", "urgent")
    )
    norms = np.array([rules.norm_tickets.get(segment, 0.0) for segment in t.segments])  # type: ignore[call-overload]
    points = points + np.maximum(0.0, t["s_recent"] - norms) * rules.excess_ticket_points
    points = (
        points + t["s_escalations"] * rules.escalation_request_points + t["s_open"] * rules.open_ticket_points
    )
    tone = _mean_tone(t["s_tone_sum"], t["s_tone_n"])
    previous = _mean_tone(t["s_prev_tone_sum"], t["s_prev_tone_n"])
    points = points + np.nan_to_num(np.maximum(0.0, -tone)) * rules.tone_points
    points = points + np.nan_to_num(np.maximum(0.0, previous - tone)) * rules.tone_worsening_points
    score = np.clip(100 - points, 0, 100)
    return np.where((t["s_on_record"] > 0) | (not rules.require_history), score, np.nan)


def support_detail(t: FeatureTable, i: int, config: TriggerConfig) -> str:
    v = t.py
    rules = config.support
    recent, severe, still_open = v["s_recent"][i], v["s_high"][i] + v["s_urgent"][i], v["s_open"][i]
    if recent:
        detail = (
            f"{plural(recent, 'ticket')} in the last {rules.window_days} days ({severe:.0f} high or urgent"
        )
        norm = rules.norm_tickets.get(t.segments[i], 0.0)  # type: ignore[call-overload]
        if recent > norm:
            detail += f"; the {t.segments[i].replace('_', '-')} norm is {norm:g}"
        detail += ")"
    else:
        detail = f"no tickets in the last {rules.window_days} days"
    detail += f", {still_open:.0f} open" if still_open else ", none open"
    if v["s_escalations"][i]:
        detail += f", {plural(v['s_escalations'][i], 'escalation request')}"
    if v["s_tone_n"][i]:
        tone = v["s_tone_sum"][i] / v["s_tone_n"][i]
        detail += f", tone {tone_words(tone)} ({tone:+.2f})"
        if v["s_prev_tone_n"][i]:
            previous = v["s_prev_tone_sum"][i] / v["s_prev_tone_n"][i]
            if previous - tone >= 0.1:
                detail += f", worse than {previous:+.2f} the {rules.window_days} days before"
    return detail


# -- billing --------------------------------------------------------------------------------
def billing_scores(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Points off 100 for overdue invoices, failed payments and downgrades in the window."""
    rules = config.billing
    points = (
        t["b_overdue"] * rules.overdue_points
        + t["b_failed"] * rules.failed_payment_points
        + t["b_downgrades"] * rules.downgrade_points
    )
    return np.where(t["b_events"] > 0, np.clip(100 - points, 0, 100), np.nan)


def billing_detail(t: FeatureTable, i: int, config: TriggerConfig) -> str:
    v = t.py
    named = (("b_overdue", "overdue invoice"), ("b_failed", "failed payment"), ("b_downgrades", "downgrade"))
    parts = [plural(v[column][i], word) for column, word in named if v[column][i]]
    problems = ", ".join(parts) if parts else "no overdue invoices, failed payments or downgrades"
    return f"{problems} in the last {config.billing.window_days} days"


# -- engagement -----------------------------------------------------------------------------
def engagement_scores(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """The mean of what there is of: the outreach reply rate (against an excellent rate), the
    latest NPS (times ten) and the latest survey (against its scale); a neutral level without
    any. Plus meetings, less public complaints."""
    rules = config.engagement
    has_rate = t["e_sent"] >= rules.min_outreach_for_rate
    rate = np.minimum(1.0, safe_ratio(t["e_replied"], t["e_sent"]))
    parts = np.stack(
        [
            np.where(has_rate, np.minimum(100.0, rate / rules.excellent_reply_rate * 100), np.nan),
            np.clip(t["e_nps"] * 10, 0, 100),
            np.clip(t["e_survey"] / rules.survey_scale * 100, 0, 100),
        ]
    )
    counted = (~np.isnan(parts)).sum(axis=0)
    score = np.where(counted > 0, np.nansum(parts, axis=0) / np.maximum(counted, 1), rules.neutral)
    score = score + np.minimum(rules.max_meeting_points, t["e_meetings"] * rules.meeting_points)
    score = score - t["e_complaints"] * rules.public_complaint_points
    return np.where(t["e_events"] > 0, np.clip(score, 0, 100), np.nan)


def engagement_detail(t: FeatureTable, i: int, config: TriggerConfig) -> str:
    v = t.py
    rules = config.engagement
    words: list[str] = []
    sent, replied = v["e_sent"][i], v["e_replied"][i]
    if sent >= rules.min_outreach_for_rate:
        words.append(
            f"replied to {replied:.0f} of {sent:.0f} outreach emails ({min(1.0, replied / sent):.0%})"
        )
    if not math.isnan(v["e_nps"][i]):
        words.append(f"latest NPS {v['e_nps'][i]:.0f}")
    if not math.isnan(v["e_survey"][i]):
        words.append(f"latest survey {v['e_survey'][i]:g} of {rules.survey_scale:g}")
    words.append(plural(v["e_meetings"][i], "meeting"))
    if v["e_complaints"][i]:
        words.append(plural(v["e_complaints"][i], "public complaint"))
    return ", ".join(words) + f" in the last {rules.window_days} days"


# -- onboarding -----------------------------------------------------------------------------
def onboarding_scores(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Points off 100 for steps overdue and not done, fewer for steps done late. Counts while
    onboarding runs and for `relevant_days` after the last step was done, not forever."""
    rules = config.onboarding
    score = np.clip(
        100 - t["o_overdue"] * rules.overdue_points - t["o_late"] * rules.late_done_points, 0, 100
    )
    finished_long_ago = (t["o_done"] == t["o_total"]) & (
        np.nan_to_num(t["o_last_done_age"]) > rules.relevant_days
    )
    return np.where((t["o_total"] > 0) & ~finished_long_ago, score, np.nan)


def onboarding_detail(t: FeatureTable, i: int, config: TriggerConfig) -> str:
    v = t.py
    detail = f"{v['o_done'][i]:.0f} of {v['o_total'][i]:.0f} onboarding steps done"
    oldest = t.oldest_overdue[i]
    if oldest is not None:
        detail += f", {v['o_overdue'][i]:.0f} overdue (“{oldest.step}” was due {oldest.due_date.isoformat()})"
    if v["o_late"][i]:
        detail += f", {v['o_late'][i]:.0f} done late"
    return detail


@dataclass(frozen=True)
class FactorSpec:
    name: str
    scores: Callable[[FeatureTable, TriggerConfig], np.ndarray]
    detail: Callable[[FeatureTable, int, TriggerConfig], str]
    data_points: tuple[str, ...]  # columns summed for "how much data is behind it"


FACTOR_SPECS = (
    FactorSpec("usage", usage_scores, usage_detail, ("u_days", "u_base_days")),
    FactorSpec("support", support_scores, support_detail, ("s_on_record",)),
    FactorSpec("billing", billing_scores, billing_detail, ("b_events",)),
    FactorSpec("engagement", engagement_scores, engagement_detail, ("e_events",)),
    FactorSpec("onboarding", onboarding_scores, onboarding_detail, ("o_total",)),
)


def usage_fell(detail: str) -> bool:
    """Whether a usage detail reports a decline (its wording is written in `usage_detail`)."""
    return " down " in detail


def factor_for(name: str, facts: AccountFacts, as_of: date, config: TriggerConfig) -> FactorScore | None:
    """One factor of one account (weight 0: not yet weighed), or None without data."""
    spec = next(spec for spec in FACTOR_SPECS if spec.name == name)
    table = table_from_facts([facts], as_of=as_of, config=config)
    score = float(spec.scores(table, config)[0])
    if np.isnan(score):
        return None
    points = int(sum(table[column][0] for column in spec.data_points))
    return FactorScore(name, score, 0.0, spec.detail(table, 0, config), points)


def usage_factor(facts: AccountFacts, as_of: date, config: TriggerConfig) -> FactorScore | None:
    return factor_for("usage", facts, as_of, config)


def support_factor(facts: AccountFacts, as_of: date, config: TriggerConfig) -> FactorScore | None:
    return factor_for("support", facts, as_of, config)


def billing_factor(facts: AccountFacts, as_of: date, config: TriggerConfig) -> FactorScore | None:
    return factor_for("billing", facts, as_of, config)


def engagement_factor(facts: AccountFacts, as_of: date, config: TriggerConfig) -> FactorScore | None:
    return factor_for("engagement", facts, as_of, config)


def onboarding_factor(facts: AccountFacts, as_of: date, config: TriggerConfig) -> FactorScore | None:
    return factor_for("onboarding", facts, as_of, config)
