"""Progress of a long command, never on stdout: a bar on stderr when stderr is a terminal,
otherwise one log line (logger `factcheck.progress`, INFO: shown with -v and by the scheduler)
every `every_s` seconds and one when it ends. Safe to advance from worker threads.

    with progress("export claims", unit="rows") as tracker:
        for row in rows:
            ...
            tracker.advance()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from factcheck.cli.common import err, isatty

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

log = logging.getLogger("factcheck.progress")


class Tracker:
    """Counts done items against an optional total; draws or logs as it goes."""

    def __init__(self, what: str, total: int | None, unit: str, every_s: float) -> None:
        self.what, self.unit, self.every_s = what, unit, every_s
        self.total: int | None = total
        self.done = 0
        self._lock = threading.Lock()
        self._started = self._logged = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def set_total(self, total: int | None) -> None:
        """The total, once it is known (a run knows it after planning)."""
        with self._lock:
            self.total = total
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, total=total)

    def advance(self, count: int = 1, note: str = "") -> None:
        """`count` more items are done; `note` (e.g. the current key) shows on the bar."""
        with self._lock:
            self.done += count
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, advance=count, description=note[:30] or self.what)
                return
            now = time.monotonic()
            if now - self._logged >= self.every_s:
                self._logged = now
                log.info("%s: %s", self.what, self.describe(now))

    def describe(self, now: float | None = None) -> str:
        """`1,200/5,000 sources (24%), 3.1 s` or `1,200 rows, 3.1 s`."""
        elapsed = (time.monotonic() if now is None else now) - self._started
        if self.total:
            share = 100 * self.done // self.total
            count = f"{self.done:,}/{self.total:,} {self.unit} ({share}%)"
        else:
            count = f"{self.done:,} {self.unit}"
        return f"{count}, {elapsed:.1f} s"


@contextmanager
def progress(
    what: str, *, total: int | None = None, unit: str = "items", every_s: float = 10.0
) -> Iterator[Tracker]:
    """Track a long step: a transient bar on a terminal, log lines elsewhere."""
    tracker = Tracker(what, total, unit, every_s)
    if not isatty(err.file):  # a bar only on a real terminal, never in a log file
        try:
            yield tracker
        finally:
            log.info("%s: done, %s", what, tracker.describe())
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    tracker._bar, tracker._task = bar, bar.add_task(what, total=total)
    with bar:
        yield tracker
