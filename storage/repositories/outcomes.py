"""Renewal outcomes joined to what the score said before each renewal: calibration's samples.

Each stored outcome (account, renewal date, churned or renewed) is paired with the account's
factor scores `lead_days` before the renewal, computed from the facts as they stood then (no
later data leaks in). Outcomes with no data to score at that date are counted, not used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.calibration import OutcomeSample
from scoring.config import FACTORS, TriggerConfig
from scoring.features import table_from_facts
from scoring.health import score_columns
from storage import models
from storage.repositories.facts import load_account_facts

DEFAULT_LEAD_DAYS = 30  # score the account this long before its renewal (when a CSM could still act)


@dataclass
class OutcomeSamples:
    samples: list[OutcomeSample] = field(default_factory=list)
    without_data: int = 0  # outcomes whose account had nothing to score `lead_days` before


def outcome_samples(
    session: Session, *, config: TriggerConfig, lead_days: int = DEFAULT_LEAD_DAYS
) -> OutcomeSamples:
    o = models.RenewalOutcome
    outcomes = session.execute(select(o.account_id, o.renewal_date, o.outcome)).all()
    by_day: dict[date, list[tuple[str, date, bool]]] = defaultdict(list)
    for account_id, renewal_date, outcome in outcomes:
        by_day[renewal_date - timedelta(days=lead_days)].append(
            (account_id, renewal_date, outcome == "churned")
        )
    result = OutcomeSamples()
    for as_of in sorted(by_day):  # one facts load per scoring day, not per outcome
        wanted = by_day[as_of]
        facts = {
            f.account_id: f
            for f in load_account_facts(session, as_of=as_of, account_ids=[w[0] for w in wanted])
        }
        table = table_from_facts(list(facts.values()), as_of=as_of, config=config)
        scored = score_columns(table, config)
        position = {account_id: i for i, account_id in enumerate(table.account_ids)}
        for account_id, renewal_date, churned in wanted:
            i = position.get(account_id)
            if i is None or np.isnan(scored.factor_scores[i]).all():
                result.without_data += 1
                continue
            factors = {
                name: None if np.isnan(value) else float(value)
                for name, value in zip(FACTORS, scored.factor_scores[i], strict=True)
            }
            result.samples.append(
                OutcomeSample(
                    account_id=account_id,
                    segment=table.segments[i],
                    renewal_date=renewal_date,
                    churned=churned,
                    factors=factors,
                    score=float(scored.scores[i]),
                )
            )
    result.samples.sort(key=lambda sample: (sample.renewal_date, sample.account_id))
    return result
