"""Reviewers are noisy: correct observed approval rates for their error (Rogan–Gladen).

With reviewer sensitivity Se (a card worth a person's time is approved) and specificity Sp
(a noisy card is dismissed as a false positive), an observed approval rate a among labelled
cards corrects to the true share of worthwhile cards p = (a − (1 − Sp)) / (Se + Sp − 1),
clipped to [0, 1]. The correction is linear and increasing, so an interval for a maps to one
for p (Se and Sp are taken as known; their own uncertainty is not added).

Se and Sp are estimated from the labels of accounts whose renewal outcome is known: a card on
an account that churned within the horizon after it was truly worth a person's time, one on an
account that renewed was not. Churn is a proxy for "at risk", so the estimate starts from the
configured defaults as a prior worth `prior_labels` labels and moves with the evidence. Only
risk triggers are compared with churn (an expansion card on a renewing account is no error);
the reviewers are the same people, so the estimate applies to every trigger.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.learning.types import KnownOutcome, Label

MIN_INFORMATIVE = 0.1  # Se + Sp − 1 below this: the reviewers say almost nothing; keep the defaults


@dataclass(frozen=True, slots=True)
class ReviewerAccuracy:
    sensitivity: float
    specificity: float
    source: str  # "defaults", or "outcomes" when renewal outcomes moved the estimate
    churned_labels: int = 0  # threshold labels on accounts that later churned
    renewed_labels: int = 0  # ... that later renewed

    @property
    def informative(self) -> float:
        return self.sensitivity + self.specificity - 1


def rogan_gladen(observed_rate: float, *, sensitivity: float, specificity: float) -> float:
    """The true share of positives behind an observed share of positive reviews."""
    informative = sensitivity + specificity - 1
    if informative <= 0:
        raise ValueError(f"Se + Sp must exceed 1 to correct anything (Se {sensitivity}, Sp {specificity})")
    return min(1.0, max(0.0, (observed_rate - (1 - specificity)) / informative))


def corrected(observed_rate: float, accuracy: ReviewerAccuracy) -> float:
    return rogan_gladen(observed_rate, sensitivity=accuracy.sensitivity, specificity=accuracy.specificity)


def estimate_reviewer(
    labels: Iterable[Label],
    outcomes: Sequence[KnownOutcome],
    *,
    sensitivity: float,
    specificity: float,
    prior_labels: float,
    horizon_days: int,
    risk_triggers: Iterable[str],
) -> ReviewerAccuracy:
    """Se and Sp from threshold labels on risk triggers whose account's next renewal within
    `horizon_days` of the label's day is known; the defaults when none is."""
    renewals: dict[str, list[KnownOutcome]] = defaultdict(list)
    for known in sorted(outcomes, key=lambda o: o.renewal_date):
        renewals[known.account_id].append(known)
    risky = set(risk_triggers)
    approved_churned = churned = dismissed_renewed = renewed = 0
    for label in labels:
        positive = label.threshold_label
        if positive is None or label.decision.trigger not in risky:
            continue
        outcome = _next_renewal(renewals.get(label.decision.account_id, []), label.day, horizon_days)
        if outcome is None:
            continue
        if outcome.churned:
            churned += 1
            approved_churned += positive
        else:
            renewed += 1
            dismissed_renewed += not positive
    if churned + renewed == 0:
        return ReviewerAccuracy(sensitivity, specificity, "defaults")
    se = (approved_churned + sensitivity * prior_labels) / (churned + prior_labels)
    sp = (dismissed_renewed + specificity * prior_labels) / (renewed + prior_labels)
    if se + sp - 1 < MIN_INFORMATIVE:
        return ReviewerAccuracy(sensitivity, specificity, "defaults", churned, renewed)
    return ReviewerAccuracy(round(se, 4), round(sp, 4), "outcomes", churned, renewed)


def _next_renewal(renewals: list[KnownOutcome], day: date, horizon_days: int) -> KnownOutcome | None:
    at = bisect_left([o.renewal_date for o in renewals], day)
    if at < len(renewals) and renewals[at].renewal_date <= day + timedelta(days=horizon_days):
        return renewals[at]
    return None
