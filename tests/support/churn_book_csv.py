"""A small book of monthly customers as import files, whose churn a known truth decides.

Each account has seats, a utilisation level and a set of adopted product features (two of
them, Reports and Exports, decide who leaves); every month an account may churn with the
truth's probability, after which its rows stop and `outcomes.csv` records its `churned_at`.
Usage is written every third day and feature use once a week, to keep the files small while
every window still has its minimum days.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import date, timedelta
from pathlib import Path

FEATURES = ("Reports", "Exports", "Dashboards", "Alerts", "API", "Comments")


def write_book(directory: Path, *, accounts: int, days: int, first_day: date, seed: int) -> dict[str, date]:
    """Writes csms, accounts, usage, feature_usage and outcomes CSVs; returns the churn days."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    churned: dict[str, date] = {}
    account_rows, usage_rows, feature_rows = [], [], []
    for i in range(accounts):
        account_id = f"M-{i:04d}"
        seats = rng.choice([5, 10, 20, 40])
        utilisation = rng.uniform(0.3, 0.9)
        adopted = [feature for feature in FEATURES if rng.random() < 0.55]
        per_user = {feature: rng.uniform(0.5, 3.0) for feature in adopted}
        value = per_user.get("Reports", 0.0) + 0.8 * per_user.get("Exports", 0.0)
        monthly_churn = 1 / (1 + math.exp(-(-1.2 - 1.3 * value)))
        account_rows.append([account_id, f"Monthly {i}", "self_serve", seats * 300, "U0CSM1", ""])
        left: date | None = None
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            if offset >= 60 and day.day == 1 and rng.random() < monthly_churn:
                left = day + timedelta(days=rng.randint(0, 27))
            if left is not None and day >= left:
                churned[account_id] = left
                break
            active = max(1, round(seats * utilisation * rng.uniform(0.85, 1.15)))
            if offset % 3 == 0:
                usage_rows.append([account_id, day.isoformat(), min(active, seats), seats])
            if offset % 7 == 0:
                for feature in adopted:
                    feature_rows.append(
                        [account_id, day.isoformat(), feature, round(per_user[feature] * active * 7)]
                    )
    _write(directory / "csms.csv", ["slack_id", "name", "role"], [["U0CSM1", "Casey CSM", "csm"]])
    _write(
        directory / "accounts.csv",
        ["account_id", "name", "segment", "arr", "owner_slack_id", "renewal_date"],
        account_rows,
    )
    _write(directory / "usage.csv", ["account_id", "date", "active_users", "licensed_seats"], usage_rows)
    _write(directory / "feature_usage.csv", ["account_id", "date", "feature", "count"], feature_rows)
    _write(
        directory / "outcomes.csv",
        ["account_id", "renewal_date", "churned_at", "outcome"],
        [[account_id, "", day.isoformat(), "churned"] for account_id, day in sorted(churned.items())],
    )
    return churned


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
