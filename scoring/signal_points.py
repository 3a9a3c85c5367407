"""The hand-set score taken apart, signal by signal, in score points.

Each factor's points off 100 (usage and engagement measured against a healthy level) are split
over the signals that make them, then multiplied by the factor's effective weight, so an
account's points add up to 100 minus its unrounded score. Pure: numpy only.
"""

from __future__ import annotations

import numpy as np

from scoring.config import FACTORS, TriggerConfig
from scoring.factors import breadth_scores, safe_ratio, usage_change
from scoring.features import FeatureTable
from scoring.signals import FIXED_NAMES, FIXED_SIGNALS, reply_rate, ticket_norms, tone, tone_change


def default_points(t: FeatureTable, config: TriggerConfig, weights: np.ndarray) -> np.ndarray:
    """n x len(FIXED_SIGNALS) points the hand-set score takes off 100 for each signal.

    `weights` are the effective factor weights (n x 5, FACTORS order; 0 for a factor left out),
    as `scoring.health.score_columns` uses them. Within a factor, a clipped factor score scales
    its signals' points so they still sum to what the factor costs; a bonus (meetings) shows
    as negative points.
    """
    n = len(t)
    costs = {name: np.zeros(n) for name in FIXED_NAMES}
    _usage_costs(t, config, costs)
    _support_costs(t, config, costs)
    billing = config.billing
    costs["overdue_invoices"] = t["b_overdue"] * billing.overdue_points
    costs["failed_payments"] = t["b_failed"] * billing.failed_payment_points
    costs["downgrades"] = t["b_downgrades"] * billing.downgrade_points
    _engagement_costs(t, config, costs)
    costs["milestones_overdue"] = t["o_overdue"] * config.onboarding.overdue_points
    costs["milestones_late"] = t["o_late"] * config.onboarding.late_done_points
    points = np.zeros((len(FIXED_NAMES), n))  # a signal's points in one row: written whole
    for k, factor in enumerate(FACTORS):
        members = [j for j, spec in enumerate(FIXED_SIGNALS) if spec.factor == factor]
        block = np.stack([costs[FIXED_NAMES[j]] for j in members], axis=1)
        total = block.sum(axis=1)
        clipped = 100 - np.clip(100 - total, 0, 100)  # what the factor really costs
        scale = np.divide(clipped, total, out=np.zeros(n), where=total != 0)
        for j in members:
            np.multiply(costs[FIXED_NAMES[j]] * scale, weights[:, k], out=points[j])
    return np.ascontiguousarray(points.T)  # n x K, row by row like every other matrix here


def _usage_costs(t: FeatureTable, config: TriggerConfig, costs: dict[str, np.ndarray]) -> None:
    rules = config.usage
    utilisation = safe_ratio(t["u_active"], t["u_seats"])
    utilisation_score = np.minimum(100.0, utilisation / rules.healthy_utilisation * 100)
    breadth = breadth_scores(t, config)
    has_breadth = ~np.isnan(breadth)
    share = np.where(has_breadth, 1 - rules.breadth_weight, 1.0)
    costs["seat_utilisation"] = share * (100 - utilisation_score)
    costs["feature_breadth"] = np.where(
        has_breadth, rules.breadth_weight * (100 - np.nan_to_num(breadth)), 0.0
    )
    has_base, change, trend_change = usage_change(t)
    enough_base = has_base & (t["u_base_days"] >= rules.min_days)
    decline = np.where(enough_base, np.maximum(0.0, np.maximum(-change, -trend_change)), 0.0)
    penalty = decline * 100 * rules.drop_penalty_per_percent
    by_trend = -trend_change > -change  # the latest days fell further: they carry the penalty
    costs["active_user_trend"] = np.where(by_trend, 0.0, penalty)
    costs["last_7_days"] = np.where(by_trend, penalty, 0.0)


def _support_costs(t: FeatureTable, config: TriggerConfig, costs: dict[str, np.ndarray]) -> None:
    rules = config.support
    points = rules.ticket_points
    excess = np.maximum(0.0, t["s_recent"] - ticket_norms(t, config)) * rules.excess_ticket_points
    costs["ticket_volume"] = t["s_low"] * points.low + t["s_normal"] * points.normal + excess
    costs["severe_tickets"] = t["s_high"] * points.high + t["s_urgent"] * points.urgent
    costs["escalation_requests"] = t["s_escalations"] * rules.escalation_request_points
    costs["open_tickets"] = t["s_open"] * rules.open_ticket_points
    mean_tone = tone(t, config)
    costs["ticket_tone"] = np.nan_to_num(np.maximum(0.0, -mean_tone)) * rules.tone_points
    costs["tone_trend"] = (
        np.nan_to_num(np.maximum(0.0, -tone_change(t, config))) * rules.tone_worsening_points
    )


def _engagement_costs(t: FeatureTable, config: TriggerConfig, costs: dict[str, np.ndarray]) -> None:
    rules = config.engagement
    rate = reply_rate(t, config)
    parts = {
        "reply_rate": np.minimum(100.0, rate / rules.excellent_reply_rate * 100),
        "nps": np.clip(t["e_nps"] * 10, 0, 100),
        "survey": np.clip(t["e_survey"] / rules.survey_scale * 100, 0, 100),
    }
    counted = np.sum([~np.isnan(part) for part in parts.values()], axis=0)
    for name, part in parts.items():
        costs[name] = np.where(np.isnan(part), 0.0, (100 - np.nan_to_num(part)) / np.maximum(counted, 1))
    # Without any of the three the factor starts from a neutral level: booked on the reply rate.
    costs["reply_rate"] = costs["reply_rate"] + np.where(counted == 0, 100 - rules.neutral, 0.0)
    costs["meetings"] = -np.minimum(rules.max_meeting_points, t["e_meetings"] * rules.meeting_points)
    costs["public_complaints"] = t["e_complaints"] * rules.public_complaint_points
