"""Renewal outcomes for a synthetic book, drawn from a known churn model, so calibration can be
checked: does `calibrate` recover the weights the outcomes were generated with?

Every account gets a renewal in the 30 days before `as_of` (a synthetic scenario: real books
renew a twelfth of their accounts a month; calibration needs many outcomes to show anything). Its churn probability is
logistic(intercept + steepness x weighted shortfall), the shortfalls being its factor scores
`lead_days` before that renewal (the same quantity calibration fits on). The draw is
reproducible: one `random.Random(seed)`.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scoring.config import FACTORS, TriggerConfig
from scoring.features import table_from_facts
from scoring.health import score_columns
from scoring.renewal_risk import shortfalls
from storage import models
from storage.repositories.facts import load_account_facts
from storage.synthetic.bulk_write import bulk_insert

# The "true" weights outcomes are drawn with: deliberately unlike the default configuration's,
# so a calibration that merely echoed the configuration would fail the recovery test.
TRUE_WEIGHTS = {"usage": 0.30, "support": 0.35, "billing": 0.20, "engagement": 0.10, "onboarding": 0.05}
INTERCEPT = -5.0
STEEPNESS = 14.0
RENEWAL_SPREAD_DAYS = 30


@dataclass(frozen=True)
class PlantedOutcomes:
    outcomes: int
    churned: int
    weights: dict[str, float]


def plant_outcomes(
    session: Session,
    *,
    as_of: date,
    config: TriggerConfig,
    seed: int = 7,
    lead_days: int = 30,
    weights: dict[str, float] | None = None,
) -> PlantedOutcomes:
    weights = dict(weights or TRUE_WEIGHTS)
    w = np.array([weights[name] for name in FACTORS]) / sum(weights.values())
    rng = random.Random(seed)
    ids = sorted(session.scalars(select(models.Account.account_id)))
    by_day: dict[date, list[str]] = defaultdict(list)
    renewal_of: dict[str, date] = {}
    for account_id in ids:
        renewal_of[account_id] = as_of - timedelta(days=rng.randint(1, RENEWAL_SPREAD_DAYS))
        by_day[renewal_of[account_id] - timedelta(days=lead_days)].append(account_id)
    rows = []
    for day in sorted(by_day):
        table = table_from_facts(
            load_account_facts(session, as_of=day, account_ids=by_day[day]), as_of=day, config=config
        )
        scored = score_columns(table, config)
        logits = INTERCEPT + STEEPNESS * (shortfalls(scored.factor_scores, scored.scores) @ w)
        for account_id, logit in zip(table.account_ids, logits.tolist(), strict=True):
            churned = rng.random() < 1 / (1 + math.exp(-logit))
            rows.append(
                {
                    "account_id": account_id,
                    "renewal_date": renewal_of[account_id],
                    "outcome": "churned" if churned else "renewed",
                }
            )
    # The drawn outcomes replace the book's renewal history: earlier "renewed" anniversaries
    # were not drawn from the model and would blur what calibration should recover.
    o = models.RenewalOutcome
    session.execute(delete(o))
    bulk_insert(session, o.__table__, rows)  # type: ignore[arg-type]
    return PlantedOutcomes(len(rows), sum(row["outcome"] == "churned" for row in rows), weights)
