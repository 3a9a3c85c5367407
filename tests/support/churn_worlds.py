"""Synthetic books with a known churn truth, for signal calibration's tests and benchmark.

Each account has lasting traits (seats, utilisation, which features it adopted, how much it
files tickets) and each month's figures scatter around them, as a FeatureTable per month-end
like the bulk loader builds. A world's truth is a function of the signals' values: the
churn log-odds within the horizon. Labels are drawn from it, so the truth's own ROC-AUC is
the best any model can do on the draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from scoring.config import TriggerConfig, load_default_config
from scoring.features import FeatureTable
from scoring.health import score_columns
from scoring.signal_calibration import ChurnSamples
from scoring.signals import calibration_inputs, signal_specs

FEATURES = (
    "Reports", "Exports", "Dashboards", "Alerts", "API", "Integrations",
    "SSO", "Workflows", "Comments", "Mobile", "Search", "Billing portal",
)  # fmt: skip
SEGMENTS = ("enterprise", "mid_market", "smb", "self_serve")
NORMS = {"enterprise": 6.0, "mid_market": 3.0, "smb": 2.0, "self_serve": 1.0}

Truth = Callable[[dict[str, np.ndarray]], np.ndarray]  # signal values by name -> log-odds


def _clip(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.nan_to_num(values, nan=(low + high) / 2), low, high)


def inverted_truth(v: dict[str, np.ndarray]) -> np.ndarray:
    """More tickets, less churn (they are the engaged customers); low utilisation churns."""
    return -1.6 - 0.45 * _clip(v["ticket_volume"], -4, 6) - 3.0 * (_clip(v["seat_utilisation"], 0, 1) - 0.55)


def two_features_truth(v: dict[str, np.ndarray]) -> np.ndarray:
    """Churn decided by two of twelve features: those who do not use Reports or Exports leave."""
    reports = _clip(v["feature_use:Reports"], 0, 4)
    exports = _clip(v["feature_use:Exports"], 0, 4)
    return -0.6 - 0.9 * reports - 0.7 * exports


def u_shape_truth(v: dict[str, np.ndarray]) -> np.ndarray:
    """Utilisation with a turn: idle accounts churn, and so do accounts squeezed against
    their seat limit (they leave for a plan that fits)."""
    u = _clip(v["seat_utilisation"], 0, 1)
    return -3.0 + 22.0 * (u - 0.55) ** 2


def ordinary_truth(v: dict[str, np.ndarray]) -> np.ndarray:
    """The hand-set score's directions, at the level of signals: idle seats, tickets beyond the
    norm, severe tickets, overdue invoices, a hostile tone and unanswered outreach churn."""
    return (
        -2.2
        - 3.5 * (_clip(v["seat_utilisation"], 0, 1) - 0.55)
        + 0.3 * _clip(v["ticket_volume"], -2, 6)
        + 0.6 * _clip(v["severe_tickets"], 0, 4)
        + 1.0 * _clip(v["overdue_invoices"], 0, 3)
        - 1.5 * np.nan_to_num(v["ticket_tone"])
        - 2.0 * (_clip(v["reply_rate"], 0, 1) - 0.4)
    )


def null_truth(v: dict[str, np.ndarray]) -> np.ndarray:
    return np.full(len(v["seat_utilisation"]), -2.4)


WORLDS: dict[str, Truth] = {
    "inverted_tickets": inverted_truth,
    "two_of_twelve_features": two_features_truth,
    "u_shaped_utilisation": u_shape_truth,
    "no_signal": null_truth,
}
ORDINARY: Truth = ordinary_truth


@dataclass(frozen=True)
class World:
    samples: ChurnSamples
    truth: np.ndarray  # the generating log-odds per sample


def month_ends(first: date, months: int) -> list[date]:
    ends, day = [], first
    for _ in range(months):
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        ends.append(following - timedelta(days=1))
        day = following
    return ends


def monthly_table(rng: np.random.Generator, traits: dict[str, np.ndarray], as_of: date) -> FeatureTable:
    n = len(traits["seats"])
    ids = [f"ACC-{i:06d}" for i in range(n)]
    segments = [SEGMENTS[k] for k in traits["segment"]]
    table = FeatureTable.empty(as_of, ids, segments)
    c = table.columns
    seats = traits["seats"]
    util = np.clip(traits["util"] * np.exp(rng.normal(0, 0.12, n)), 0.01, 1.0)
    base_util = np.clip(util * np.exp(rng.normal(0, 0.15, n)), 0.01, 1.0)
    trend_util = np.clip(util * np.exp(rng.normal(0, 0.10, n)), 0.0, 1.0)
    c["u_days"][:], c["u_seats"][:], c["u_active"][:] = 30, seats * 30, np.round(util * seats) * 30
    c["u_base_days"][:], c["u_base_active"][:] = 30, np.round(base_util * seats) * 30
    c["u_trend_days"][:], c["u_trend_seats"][:] = 7, seats * 7
    c["u_trend_active"][:] = np.round(trend_util * seats) * 7
    c["u_trend_peak"][:] = trend_util
    c["u_last_gap"][:] = 0
    mean_active = np.maximum(1.0, np.round(util * seats))
    adopted = traits["adopted"]
    per_user = traits["per_user"] * np.exp(rng.normal(0, 0.25, adopted.shape))
    uses = np.where(adopted, np.round(per_user * mean_active[:, None]), 0.0)
    base = np.where(adopted, np.round(uses * np.exp(rng.normal(0, 0.3, adopted.shape))), 0.0)
    has_features = traits["has_features"]
    table.feature_names = list(FEATURES)
    table.feature_uses = np.where(has_features[:, None], uses, 0.0)
    table.feature_base_uses = np.where(has_features[:, None], base, 0.0)
    c["f_any"][:] = np.where(has_features, 1 + (uses > 0).sum(axis=1), 0)
    c["f_breadth"][:] = np.where(has_features, (uses > 0).sum(axis=1), 0)
    recent = rng.poisson(traits["ticket_rate"])
    severe = rng.binomial(recent, 0.2)
    c["s_recent"][:], c["s_high"][:] = recent, severe
    c["s_normal"][:] = recent - severe
    c["s_on_record"][:] = recent + rng.poisson(4, n)
    c["s_escalations"][:] = rng.binomial(recent, 0.05)
    c["s_open"][:] = rng.binomial(recent, 0.3)
    c["s_tone_n"][:] = recent
    c["s_tone_sum"][:] = recent * np.clip(rng.normal(0.05, 0.3, n), -1, 1)
    c["s_prev_recent"][:] = rng.poisson(traits["ticket_rate"])
    c["s_prev_tone_n"][:] = c["s_prev_recent"]
    c["s_prev_tone_sum"][:] = c["s_prev_recent"] * np.clip(rng.normal(0.05, 0.3, n), -1, 1)
    for name, rate in (("b_overdue", 0.12), ("b_failed", 0.05), ("b_downgrades", 0.03)):
        c[name][:] = rng.poisson(rate, n)
    c["b_events"][:] = c["b_overdue"] + c["b_failed"] + c["b_downgrades"] + rng.poisson(3, n)
    c["e_sent"][:] = rng.poisson(4, n)
    c["e_replied"][:] = rng.binomial(c["e_sent"].astype(int), traits["reply"])
    c["e_meetings"][:] = rng.poisson(1.0, n)
    c["e_complaints"][:] = rng.poisson(0.02, n)
    c["e_nps"][:] = np.where(rng.random(n) < 0.4, rng.integers(0, 11, n), np.nan)
    c["e_survey"][:] = np.where(rng.random(n) < 0.3, rng.integers(1, 6, n), np.nan)
    c["e_events"][:] = c["e_sent"] + c["e_replied"] + c["e_meetings"] + 1
    c["arr"][:] = seats * 600.0
    return table


def account_traits(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    segment = rng.choice(len(SEGMENTS), n, p=(0.1, 0.3, 0.4, 0.2))
    norms = np.array([NORMS[SEGMENTS[k]] for k in segment])
    popularity = np.linspace(0.8, 0.3, len(FEATURES))
    return {
        "segment": segment,
        "seats": rng.choice([5, 10, 25, 50, 100, 250], n).astype(float),
        "util": rng.beta(4, 3, n),
        "adopted": rng.random((n, len(FEATURES))) < popularity,
        "per_user": rng.gamma(2.0, 0.8, (n, len(FEATURES))),
        "has_features": rng.random(n) < 0.9,
        "ticket_rate": norms * rng.gamma(2.0, 0.5, n),
        "reply": rng.beta(2, 3, n),
    }


def build_world(
    truth: Truth,
    *,
    accounts: int,
    months: int,
    seed: int,
    horizon_days: int = 90,
    config: TriggerConfig | None = None,
    dtype: type[np.floating[Any]] = np.float32,
) -> World:
    """`accounts` accounts, one sample per account and month-end, labels drawn from the truth.

    The signal values are stored as `dtype` (float32 by default: at 100,000 accounts and a year
    the matrix is 1.2M x 44, 211 MB instead of 422 MB; the truth and the labels are drawn from
    the float64 values). Every array is allocated once for the whole world and filled month by
    month, so the months' temporaries do not stay behind in the heap."""
    config = config or load_default_config()
    rng = np.random.default_rng(seed)
    traits = account_traits(rng, accounts)
    n = accounts * months
    specs = signal_specs(FEATURES)  # monthly_table names the same features
    names = [spec.name for spec in specs]
    values = np.empty((n, len(names)), dtype=dtype)
    churned = np.empty(n, dtype=int)
    days = np.empty(n, dtype="datetime64[D]")
    ends = np.empty(n, dtype="datetime64[D]")
    ids = np.empty(n, dtype=f"<U{len(f'ACC-{max(accounts - 1, 0):06d}')}")
    current = np.empty(n)
    logits = np.empty(n)
    for m, as_of in enumerate(month_ends(date(2025, 1, 1), months)):
        rows = slice(m * accounts, (m + 1) * accounts)
        table = monthly_table(rng, traits, as_of)
        month = calibration_inputs(table, specs, config)
        logit = truth({name: month[:, k] for k, name in enumerate(names)})
        values[rows] = month
        logits[rows] = logit
        churned[rows] = rng.random(accounts) < 1 / (1 + np.exp(-logit))
        days[rows] = np.datetime64(as_of, "D")
        ends[rows] = np.datetime64(as_of + timedelta(days=horizon_days), "D")
        ids[rows] = table.account_ids
        current[rows] = score_columns(table, config).scores
        del table, month, logit
    samples = ChurnSamples(
        names=names,
        values=values,
        churned=churned,
        days=days,
        label_ends=ends,
        accounts=ids,
        current=current,
        sources=np.full(n, "monthly"),
    )
    return World(samples, logits)
