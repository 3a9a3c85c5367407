"""Charts as PNGs: the QBR chart (an account's health score and daily active users over the
review window) and calibration's reliability diagram (predicted against observed churn).

matplotlib's object-oriented API on the Agg canvas (no pyplot, no global state, no display), so
it renders in any thread of a server. Days without a snapshot or usage row are gaps, never
interpolated points, and the chart says how many days had data.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

BANDS = ((0, 60, "#f4cccc"), (60, 75, "#fff2cc"), (75, 100, "#d9ead3"))  # red, yellow, green defaults
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ChartData:
    account_name: str
    start: date
    end: date  # inclusive
    health: Sequence[tuple[date, int]]  # daily snapshots (any order; days outside the window ignored)
    usage: Sequence[tuple[date, int, int]]  # (day, active users, licensed seats)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def coverage_note(label: str, have: int, days: int) -> str:
    return f"{label}: {have} of {days} days" + (
        "" if have >= days else " (no data on the other days; not filled in)"
    )


def health_usage_png(data: ChartData) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure

    days: list[Any] = list(data.days)  # matplotlib takes dates; its stubs say floats
    health = {day: score for day, score in data.health if data.start <= day <= data.end}
    usage = {day: (active, seats) for day, active, seats in data.usage if data.start <= day <= data.end}
    scores = [float(health[d]) if d in health else math.nan for d in days]
    active = [float(usage[d][0]) if d in usage else math.nan for d in days]
    seats = [float(usage[d][1]) if d in usage else math.nan for d in days]

    figure = Figure(figsize=(9, 4.8), dpi=110)
    FigureCanvasAgg(figure)
    axis = figure.add_subplot(1, 1, 1)
    for low, high, colour in BANDS:
        axis.axhspan(low, high, color=colour, alpha=0.5, linewidth=0)
    axis.plot(days, scores, color="#1f3a5f", linewidth=2, marker="o", markersize=4, label="Health score")
    axis.set_ylim(0, 100)
    axis.set_ylabel("Health score (0-100)")
    axis.set_xlim(date2num(data.start - timedelta(days=1)), date2num(data.end + timedelta(days=1)))
    axis.xaxis.set_major_formatter(DateFormatter("%b %d"))
    users = axis.twinx()
    users.plot(days, active, color="#e69138", linewidth=1.5, label="Daily active users")
    users.plot(days, seats, color="#999999", linewidth=1, linestyle="--", label="Licensed seats")
    top = max([v for v in active + seats if not math.isnan(v)], default=1.0)
    users.set_ylim(0, max(1.0, top * 1.15))
    users.set_ylabel("Users")
    lines = axis.get_legend_handles_labels()[0] + users.get_legend_handles_labels()[0]
    labels = axis.get_legend_handles_labels()[1] + users.get_legend_handles_labels()[1]
    figure.legend(lines, labels, loc="lower right", ncol=3, fontsize=8, frameon=False)
    span = len(days)
    axis.set_title(
        f"{data.account_name}: health and usage, {data.start.isoformat()} to {data.end.isoformat()}",
        fontsize=11,
    )
    note = " · ".join(
        [coverage_note("Health score", len(health), span), coverage_note("Usage", len(usage), span)]
    )
    figure.text(0.01, 0.045, note, fontsize=7.5, color="#444444")
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class ReliabilityBinLike(Protocol):
    """One bin of a reliability diagram (scoring.signal_calibration.ReliabilityBin is one)."""

    @property
    def predicted(self) -> float: ...  # mean predicted churn probability in the bin

    @property
    def observed(self) -> float: ...  # churn rate observed in it

    @property
    def samples(self) -> int: ...


@dataclass(frozen=True)
class ReliabilityPoint:
    predicted: float
    observed: float
    samples: int


def reliability_png(bins: Sequence[ReliabilityBinLike]) -> bytes:
    """Predicted against observed churn per bin of the prediction, with the diagonal a perfectly
    calibrated score would follow; each point is labelled with its samples. Both axes in percent,
    zoomed to the range the bins use (churn is rare: a 0-100% square would squash them)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    shown = [b for b in bins if math.isfinite(b.predicted) and math.isfinite(b.observed)]
    top = max([max(b.predicted, b.observed) for b in shown], default=0.1)
    top = min(1.0, max(0.05, top * 1.15))
    figure = Figure(figsize=(5.2, 4.6), dpi=110)
    FigureCanvasAgg(figure)
    axis = figure.add_subplot(1, 1, 1)
    axis.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=1, label="Perfectly calibrated")
    if shown:
        axis.plot(
            [b.predicted for b in shown], [b.observed for b in shown], color="#1f3a5f", linewidth=1.5,
            marker="o", markersize=5, label="Proposed score",
        )  # fmt: skip
        for b in shown:
            axis.annotate(f"{b.samples:,}", (b.predicted, b.observed), textcoords="offset points",
                          xytext=(4, -10), fontsize=6.5, color="#666666")  # fmt: skip
    else:
        axis.text(top / 2, top / 2, "no backtest bins", ha="center", va="center", color="#666666")
    axis.set_xlim(0, top)
    axis.set_ylim(0, top)
    axis.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    axis.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    axis.set_xlabel("Predicted churn")
    axis.set_ylabel("Observed churn")
    axis.set_title("Reliability on the backtest: predicted vs observed churn", fontsize=10)
    axis.grid(True, color="#eeeeee", linewidth=0.6)
    axis.legend(loc="upper left", fontsize=8, frameon=False)
    samples = sum(b.samples for b in shown)
    figure.text(0.01, 0.015, f"{len(shown)} bins of equal size, {samples:,} samples; numbers: samples per bin",
                fontsize=7, color="#444444")  # fmt: skip
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
