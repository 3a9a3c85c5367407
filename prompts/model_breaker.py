"""The model's circuit breaker: after a few consecutive failed model calls the LLM is not asked
again for a while, so a model that does not answer costs a few timeouts, not one per draft.

- closed: calls go through; consecutive failures are counted and a success resets the count;
- open, after `failures` consecutive failures: every call is refused at once (the caller drafts
  from the template) until `cooldown_seconds` have passed;
- half-open, after the cool-down: one trial call goes through (the others are still refused);
  it closes the breaker when the model answers and opens it again (a new cool-down) when not.
`reset()` closes it: a new run gives the model a new chance.

Only the model's own failures count (a timeout, an unreachable endpoint, 429 or 5xx after the
client's retries): an answer the validator refuses still came back, so the model is answering.

Thread-safe under bounded concurrency: `admit()` hands out a Permit stamped with the breaker's
generation, which changes on every open, close and reset. An outcome only counts when its
permit is current, so calls already in flight when the breaker opens just finish without moving
it; `confirm(permit)` tells whether a call (or its retry) may still start. The clock is
injected (monotonic seconds), so the cool-down is deterministic in tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

logger = logging.getLogger(__name__)

DEFAULT_FAILURES = 3
DEFAULT_COOLDOWN_SECONDS = 600.0


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True)
class Permit:
    """Leave to make one model call (with its retries)."""

    generation: int
    trial: bool = False


@dataclass(frozen=True)
class Trip:
    """Why the breaker opened: the consecutive failures that got it there."""

    failures: int
    timeouts: int  # how many of those failures were timeouts
    last_reason: str

    @property
    def streak(self) -> str:
        """'3 consecutive timeouts', or '3 consecutive failures' when not all of them were."""
        return f"{self.failures} consecutive {'timeouts' if self.timeouts == self.failures else 'failures'}"

    def refusal(self) -> str:
        return f"the model is not answering: {self.failures} consecutive failures (last: {self.last_reason})"


@dataclass(frozen=True)
class BreakerReport:
    """What the breaker did since it was last reset (for a run's summary)."""

    state: BreakerState
    trips: int  # times it opened
    refused: int  # calls refused while it was open
    last_trip: Trip | None


class BreakerOpen(Exception):
    """The call was refused: the model is not answering."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ModelBreaker:
    def __init__(
        self,
        *,
        failures: int = DEFAULT_FAILURES,
        cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(0, failures)  # 0: never opens
        self.cooldown_seconds = max(0.0, cooldown_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._failures = 0
        self._timeouts = 0
        self._opened_at = 0.0
        self._trial_out = False
        self._trips = 0
        self._refused = 0
        self._last_trip: Trip | None = None

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state

    def admit(self) -> Permit:
        """A permit for one call, or BreakerOpen (at once) while the model is not answering."""
        with self._lock:
            if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.cooldown_seconds:
                self._state, self._trial_out = BreakerState.HALF_OPEN, False
            if self._state is BreakerState.HALF_OPEN and not self._trial_out:
                self._trial_out = True
                logger.info("the model breaker lets one trial call through after its cool-down")
                return Permit(self._generation, trial=True)
            if self._state is BreakerState.CLOSED:
                return Permit(self._generation)
            self._refused += 1
            raise BreakerOpen(self._refusal())

    def confirm(self, permit: Permit) -> None:
        """Raise BreakerOpen when the breaker has opened (or been reset) since `permit` was given:
        a call that has not started yet, or a retry, must not start."""
        with self._lock:
            if permit.generation != self._generation:
                self._refused += 1
                raise BreakerOpen(self._refusal())

    def succeeded(self, permit: Permit) -> None:
        """The model answered (whether or not the answer was usable)."""
        with self._lock:
            if permit.generation != self._generation:
                return  # in flight across an open, close or reset: it does not move the breaker
            if self._state is BreakerState.HALF_OPEN:
                logger.info("the model answered the trial call: the breaker closes")
                self._generation += 1
                self._state = BreakerState.CLOSED
            self._failures = self._timeouts = 0

    def failed(self, permit: Permit, reason: str, *, timeout: bool = False) -> None:
        """The model did not answer: `reason` says how (for the card and the summary)."""
        with self._lock:
            if permit.generation != self._generation or self.threshold == 0:
                return
            self._failures += 1
            self._timeouts += 1 if timeout else 0
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.threshold:
                self._open(reason)

    def abandoned(self, permit: Permit) -> None:
        """The call ended without an outcome (an unexpected error): a trial may be tried again."""
        with self._lock:
            if permit.generation == self._generation and self._state is BreakerState.HALF_OPEN:
                self._state, self._trial_out = BreakerState.OPEN, False  # cool-down already over

    def reset(self) -> None:
        """Closed, no failures counted, the report emptied; calls in flight no longer count."""
        with self._lock:
            self._generation += 1
            self._state = BreakerState.CLOSED
            self._failures = self._timeouts = self._trips = self._refused = 0
            self._trial_out = False
            self._last_trip = None

    def report(self) -> BreakerReport:
        with self._lock:
            return BreakerReport(self._state, self._trips, self._refused, self._last_trip)

    def _open(self, reason: str) -> None:
        trip = Trip(self._failures, self._timeouts, reason)
        self._generation += 1
        self._state, self._trial_out = BreakerState.OPEN, False
        self._opened_at = self._clock()
        self._trips += 1
        self._last_trip = trip
        logger.warning(
            "%s; templates stand in, without asking it, for %g s", trip.refusal(), self.cooldown_seconds
        )

    def _refusal(self) -> str:
        trip = self._last_trip
        return trip.refusal() if trip else "the model is not answering"
