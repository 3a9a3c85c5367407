"""What signal calibration learned, in words a CSM and ops can read.

One sentence per kept signal: its direction on this book (flagged when it turns the hand-set
score's round), or its turn, and how much more often the accounts its curve costs most churn
than the rest. The short form rides on the signal's curve into explanations. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.config import TriggerConfig
from scoring.signal_fit import FittedSignal, SignalFit, curve_at
from scoring.signals import spec_for


@dataclass(frozen=True)
class Finding:
    signal: str
    factor: str
    sentence: str  # "on your book, more support tickets go with less churn (the hand-set score said more)"
    short: str  # for explanations: "your book: more support tickets go with less churn"
    flipped: bool
    turn: bool


def findings(
    fit: SignalFit, names: Sequence[str], values: np.ndarray, churned: np.ndarray, config: TriggerConfig
) -> tuple[Finding, ...]:
    """What calibration learned, one sentence per kept signal, with the churn it goes with
    (`values`: samples x signals in `names` order)."""
    column = {name: k for k, name in enumerate(names)}
    return tuple(_finding(f, values[:, column[f.signal]], churned, config) for f in fit.signals)


def _finding(fitted: FittedSignal, values: np.ndarray, y: np.ndarray, config: TriggerConfig) -> Finding:
    spec = spec_for(fitted.signal)
    heights = curve_at(fitted, values)
    low, high = min([*fitted.heights, fitted.missing_height]), max([*fitted.heights, fitted.missing_height])
    costly = heights >= low + 0.5 * (high - low)
    ratio = ""
    if 30 <= costly.sum() <= len(y) - 30 and y[~costly].mean() > 0:
        times = y[costly].mean() / y[~costly].mean()
        # Named at the knot that costs the most (the figure a CSM would recognise as the risk).
        worst = fitted.knots[int(np.argmax(fitted.heights))]
        figure_costs_most = max(fitted.heights) >= fitted.missing_height
        who = (
            f"accounts with {spec.figure(worst, config)}"
            if figure_costs_most
            else "accounts without a figure"
        )
        ratio = f"; {who} churn {times:.1f}× as often as the rest"
    if fitted.turn:
        best = fitted.knots[int(np.argmin(fitted.heights))]
        short = f"your book: churn is lowest around {spec.figure(best, config)}"
        sentence = f"On your book, {spec.label} has a turn: churn is lowest around {spec.figure(best, config)}{ratio}."
    elif fitted.direction == 0:
        short = f"your book: accounts without {spec.label} on record churn more"
        sentence = (
            f"On your book, only a missing figure for {spec.label} tells: it goes with more churn{ratio}."
        )
    else:
        more = "more" if fitted.direction > 0 else "less"
        short = f"your book: the more {spec.label}, the {more} churn"
        sentence = f"On your book, the more {spec.label}, the *{more}* churn{ratio}."
        if fitted.flipped:
            sentence += (
                " The hand-set score pointed the other way; the evidence to turn it round is strong (99.9%)."
            )
    return Finding(fitted.signal, spec.factor, sentence, short, fitted.flipped, fitted.turn)
