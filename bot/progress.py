"""How far a long command has got: a progress bar on a terminal, plain log lines otherwise.

    with track("import usage.csv", total=12_000_000, unit="rows") as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))

The code doing the work only calls `advance(n)` (storage/ and scoring/ take that method as a
plain callback and know nothing of terminals). On a terminal the bar is tqdm's; when the stream
is not a terminal (a pipe, cron, a container's log) a line such as
"import usage.csv: 3,000,000 rows (25%)" is logged at most every `log_every` seconds, then a
last line with the count and the time taken.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from tqdm import tqdm

logger = logging.getLogger("tandem.progress")

LOG_EVERY_SECONDS = 10.0


class Reporter(Protocol):
    """What long-running code is handed: tell it how much more work is done."""

    def advance(self, n: int = 1) -> None: ...


class LogReporter:
    """Progress as log lines, throttled so a 12-million-row import logs a few dozen lines."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None,
        unit: str,
        log_every: float = LOG_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.done = 0
        self._log_every, self._clock = log_every, clock
        self._started = self._last = clock()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = self._clock()
        if now - self._last >= self._log_every:
            self._last = now
            logger.info("%s: %s", self.label, self._count())

    def finish(self, *, completed: bool = True) -> None:
        elapsed = self._clock() - self._started
        outcome = "done" if completed else "stopped"
        logger.info("%s: %s, %s in %.1f s", self.label, outcome, f"{self.done:,} {self.unit}", elapsed)

    def _count(self) -> str:
        text = f"{self.done:,} {self.unit}"
        if self.total:  # a total is an estimate for some work (lines in a CSV): never over 100%
            text += f" ({min(self.done / self.total, 1.0):.0%})"
        return text


class BarReporter:
    """tqdm's bar on a terminal (rate and time left included)."""

    def __init__(self, label: str, *, total: int | None, unit: str, stream: TextIO) -> None:
        self._bar = tqdm(
            total=total,
            desc=label,
            unit=f" {unit}",
            unit_scale=True,
            file=stream,
            dynamic_ncols=True,
            leave=True,
        )

    def advance(self, n: int = 1) -> None:
        self._bar.update(n)

    def finish(self, *, completed: bool = True) -> None:
        if completed and self._bar.total is not None and self._bar.n < self._bar.total:
            self._bar.total = self._bar.n  # the estimate was high (e.g. blank lines): end at 100%
        self._bar.close()


@contextmanager
def track(
    label: str,
    *,
    total: int | None = None,
    unit: str = "items",
    stream: TextIO | None = None,
    terminal: bool | None = None,
    log_every: float = LOG_EVERY_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Reporter]:
    """Show the progress of one piece of work on `stream` (default stderr) when it is a
    terminal, or log it; `terminal` forces the choice (tests)."""
    stream = stream if stream is not None else sys.stderr
    is_terminal = terminal if terminal is not None else _is_terminal(stream)
    reporter: LogReporter | BarReporter
    if is_terminal:
        reporter = BarReporter(label, total=total, unit=unit, stream=stream)
    else:
        reporter = LogReporter(label, total=total, unit=unit, log_every=log_every, clock=clock)
    try:
        yield reporter
    except BaseException:
        reporter.finish(completed=False)
        raise
    reporter.finish()


@contextmanager
def import_file_progress(file: str, *, total: int) -> Iterator[Callable[[int], None]]:
    """The importer's per-file progress (storage.importer.loader.FileProgress): rows of `file`,
    against its line count."""
    with track(f"import {file}", total=total, unit="rows") as reporter:
        yield reporter.advance


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
