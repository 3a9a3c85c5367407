"""The stored book as signal calibration's samples: every batch's signals, label and current score.

`storage.repositories.churn_samples` reads the (account, month-end) and renewal batches; this
turns them into one `scoring.signal_calibration.ChurnSamples`, with one column per signal over
every product feature seen in any batch (a feature absent from a batch reads as 0 uses there).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from scoring.config import TriggerConfig
from scoring.health import score_columns
from scoring.signal_calibration import ChurnSamples
from scoring.signals import calibration_inputs, signal_specs
from storage.repositories.churn_samples import RENEWAL, SampleBatch, churn_sample_batches


def signal_samples(
    batches: list[SampleBatch], *, config: TriggerConfig, horizon_days: int, lead_days: int
) -> ChurnSamples:
    features = sorted({name for batch in batches for name in batch.table.feature_names})
    specs = signal_specs(features)
    values, labels, days, ends, accounts, current, sources = [], [], [], [], [], [], []
    for batch in batches:
        n = len(batch.table)
        reach = lead_days if batch.source == RENEWAL else horizon_days
        values.append(calibration_inputs(batch.table, specs, config))
        labels.append(np.asarray(batch.labels, dtype=int))
        days.append(np.full(n, np.datetime64(batch.as_of, "D")))
        ends.append(np.full(n, np.datetime64(batch.as_of + timedelta(days=reach), "D")))
        accounts.append(np.array(batch.table.account_ids))
        current.append(score_columns(batch.table, config).scores.astype(float))
        sources.append(np.full(n, batch.source))
    if not batches:
        return ChurnSamples(
            [s.name for s in specs], np.zeros((0, len(specs))), np.zeros(0, dtype=int),
            np.zeros(0, dtype="datetime64[D]"), np.zeros(0, dtype="datetime64[D]"),
            np.zeros(0, dtype=str), np.zeros(0), np.zeros(0, dtype=str),
        )  # fmt: skip
    return ChurnSamples(
        names=[spec.name for spec in specs],
        values=np.vstack(values),
        churned=np.concatenate(labels),
        days=np.concatenate(days),
        label_ends=np.concatenate(ends),
        accounts=np.concatenate(accounts),
        current=np.concatenate(current),
        sources=np.concatenate(sources),
    )


def stored_signal_samples(
    session_factory: sessionmaker[Session], *, config: TriggerConfig, horizon_days: int, lead_days: int
) -> tuple[ChurnSamples, int]:
    """(samples, renewal outcomes left out for lack of data)."""
    found = churn_sample_batches(
        session_factory, config=config, horizon_days=horizon_days, lead_days=lead_days
    )
    samples = signal_samples(found.batches, config=config, horizon_days=horizon_days, lead_days=lead_days)
    return samples, found.without_data
