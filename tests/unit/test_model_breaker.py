"""The model breaker's state machine with an injected clock: closed → open after N consecutive
failures, a success resets the count, half-open after the cool-down with one trial call, closed
when the trial answers and open again when it does not; calls in flight across a change do not
move it."""

from __future__ import annotations

import threading

import pytest

from prompts.model_breaker import BreakerOpen, BreakerState, ModelBreaker, Permit

TIMEOUT = "LLM call timed out after 30 s"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(failures: int = 3, cooldown: float = 600.0) -> tuple[ModelBreaker, FakeClock]:
    clock = FakeClock()
    return ModelBreaker(failures=failures, cooldown_seconds=cooldown, clock=clock), clock


def fail(b: ModelBreaker, times: int = 1, reason: str = TIMEOUT, timeout: bool = True) -> None:
    for _ in range(times):
        b.failed(b.admit(), reason, timeout=timeout)


def refused(b: ModelBreaker) -> str:
    with pytest.raises(BreakerOpen) as caught:
        b.admit()
    return caught.value.reason


def test_it_opens_after_n_consecutive_failures_and_then_refuses_at_once() -> None:
    b, _ = breaker()
    fail(b, 2)
    assert b.state is BreakerState.CLOSED
    fail(b)
    assert b.state is BreakerState.OPEN
    assert refused(b) == f"the model is not answering: 3 consecutive failures (last: {TIMEOUT})"
    report = b.report()
    assert (report.trips, report.refused, report.last_trip and report.last_trip.streak) == (
        1, 1, "3 consecutive timeouts",
    )  # fmt: skip


def test_a_success_resets_the_count() -> None:
    b, _ = breaker()
    fail(b, 2)
    b.succeeded(b.admit())
    fail(b, 2)
    assert b.state is BreakerState.CLOSED
    fail(b)
    assert b.state is BreakerState.OPEN


def test_a_streak_of_mixed_failures_is_called_failures() -> None:
    b, _ = breaker()
    fail(b, 2)
    fail(b, reason="LLM call failed with HTTP 503 after 2 retries", timeout=False)
    trip = b.report().last_trip
    assert trip is not None and trip.streak == "3 consecutive failures"
    assert trip.refusal().endswith("(last: LLM call failed with HTTP 503 after 2 retries)")


def test_after_the_cooldown_one_trial_goes_through_and_its_success_closes_it() -> None:
    b, clock = breaker(cooldown=600)
    fail(b, 3)
    clock.now += 599.9
    refused(b)
    clock.now += 0.1
    trial = b.admit()
    assert trial.trial and b.state is BreakerState.HALF_OPEN
    refused(b)  # only one trial at a time
    b.succeeded(trial)
    assert b.state is BreakerState.CLOSED
    assert not b.admit().trial
    fail(b, 2)
    assert b.state is BreakerState.CLOSED, "the count started again from zero"


def test_a_failed_trial_opens_it_again_for_a_new_cooldown() -> None:
    b, clock = breaker(cooldown=600)
    fail(b, 3)
    clock.now += 600
    b.failed(b.admit(), TIMEOUT, timeout=True)
    assert b.state is BreakerState.OPEN
    assert refused(b).startswith("the model is not answering: 4 consecutive failures")
    clock.now += 599
    refused(b)
    clock.now += 1
    assert b.admit().trial
    assert b.report().trips == 2


def test_an_abandoned_trial_lets_the_next_call_try_again() -> None:
    b, clock = breaker(cooldown=10)
    fail(b, 3)
    clock.now += 10
    b.abandoned(b.admit())
    assert b.state is BreakerState.OPEN
    assert b.admit().trial


def test_calls_in_flight_when_it_opens_do_not_move_it_and_may_not_retry() -> None:
    b, clock = breaker(cooldown=600)
    in_flight = [b.admit() for _ in range(4)]
    for permit in in_flight[:3]:
        b.failed(permit, TIMEOUT, timeout=True)
    assert b.state is BreakerState.OPEN
    with pytest.raises(BreakerOpen):
        b.confirm(in_flight[3])  # a retry of a call admitted before the breaker opened
    b.succeeded(in_flight[3])  # late: does not close it
    assert b.state is BreakerState.OPEN
    clock.now += 600
    trial = b.admit()
    b.failed(in_flight[3], TIMEOUT)  # a stale failure does not reopen it either
    assert b.state is BreakerState.HALF_OPEN
    b.confirm(trial)  # the trial itself may retry
    b.succeeded(trial)
    assert b.state is BreakerState.CLOSED


def test_reset_closes_it_and_empties_the_report() -> None:
    b, _ = breaker()
    fail(b, 3)
    refused(b)
    b.reset()
    assert b.state is BreakerState.CLOSED and b.report().trips == 0 and b.report().refused == 0
    b.admit()


def test_zero_failures_means_it_never_opens() -> None:
    b, _ = breaker(failures=0)
    fail(b, 50)
    assert b.state is BreakerState.CLOSED


def test_under_concurrency_it_opens_once_and_refuses_every_later_call() -> None:
    b, _ = breaker(failures=3)
    permits: list[Permit] = [b.admit() for _ in range(8)]
    threads = [
        threading.Thread(target=b.failed, args=(p, TIMEOUT), kwargs={"timeout": True}) for p in permits
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = b.report()
    assert (report.state, report.trips) == (BreakerState.OPEN, 1)
    assert report.last_trip is not None and report.last_trip.failures == 3
