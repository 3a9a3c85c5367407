"""bot.progress: a bar on a terminal, throttled log lines elsewhere (content asserted, not timing:
the log reporter's clock is injected)."""

from __future__ import annotations

import io
import logging

import pytest

from bot.progress import track


class Ticks:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_progress_is_logged_at_most_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Ticks()
    caplog.set_level(logging.INFO, logger="tandem.progress")

    with track(
        "import usage.csv", total=12_000_000, unit="rows", terminal=False, log_every=10, clock=clock
    ) as progress:
        progress.advance(1_000_000)  # before the first interval: no line
        clock.now = 10
        progress.advance(2_000_000)
        progress.advance(500_000)  # same instant: throttled
        clock.now = 25
        progress.advance(8_500_000)
        clock.now = 31

    assert [record.getMessage() for record in caplog.records] == [
        "import usage.csv: 3,000,000 rows (25%)",
        "import usage.csv: 12,000,000 rows (100%)",
        "import usage.csv: done, 12,000,000 rows in 31.0 s",
    ]


def test_a_total_that_was_an_estimate_never_shows_over_100_percent(caplog: pytest.LogCaptureFixture) -> None:
    clock = Ticks()
    caplog.set_level(logging.INFO, logger="tandem.progress")
    with track("seed", total=10, unit="accounts", terminal=False, log_every=1, clock=clock) as progress:
        clock.now = 2
        progress.advance(12)
    assert caplog.records[0].getMessage() == "seed: 12 accounts (100%)"


def test_work_that_fails_is_logged_as_stopped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tandem.progress")
    with pytest.raises(RuntimeError), track("score", total=3, unit="steps", terminal=False) as progress:
        progress.advance(1)
        raise RuntimeError("database went away")
    assert caplog.records[-1].getMessage().startswith("score: stopped, 1 steps in ")


def test_on_a_terminal_a_bar_is_drawn_and_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    screen = io.StringIO()
    caplog.set_level(logging.INFO, logger="tandem.progress")

    with track("import usage.csv", total=200, unit="rows", stream=screen, terminal=True) as progress:
        for _ in range(4):
            progress.advance(50)

    drawn = screen.getvalue()
    assert "import usage.csv" in drawn
    assert "100%" in drawn and "200/200" in drawn
    assert caplog.records == []


def test_on_a_terminal_a_high_estimate_ends_the_bar_at_what_was_done() -> None:
    screen = io.StringIO()
    with track("import usage.csv", total=1_000, unit="rows", stream=screen, terminal=True) as progress:
        progress.advance(998)  # two blank lines counted in the total
    assert "998/998" in screen.getvalue()


def test_a_stream_that_is_not_a_terminal_gets_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tandem.progress")
    screen = io.StringIO()  # isatty() is False: a pipe, cron, a container's log
    with track("seed", total=5, unit="accounts", stream=screen) as progress:
        progress.advance(5)
    assert screen.getvalue() == ""
    assert caplog.records[-1].getMessage().startswith("seed: done, 5 accounts in ")
