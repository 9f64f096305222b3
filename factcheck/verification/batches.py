"""The run's one writer: sources recorded in bounded batches, one transaction each.

A transaction per source made the writer the slowest part of a run (a commit, and an
"already recorded?" query that scans the run's evidence, per source). Here results wait in a
batch of at most BATCH_SOURCES sources or BATCH_AGE_S seconds, whichever comes first, so a
stop loses at most that; "done in this run" is a set in memory, seeded from the store when a
run resumes, and the evidence's unique (run, claim, source, role) constraint is the guard for
anyone else writing the run. When the database refuses a batch (a value it will not take, or
that constraint), the batch is recorded again one source per transaction (`record_unit`), so
one bad source still fails alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine

from factcheck.storage.db import session_scope
from factcheck.verification import recording
from factcheck.verification.source_unit import SourceResult, one_line, record_unit, refused_value

log = logging.getLogger(__name__)

BATCH_SOURCES = 200  # sources per transaction at most
BATCH_AGE_S = 0.2  # a result waits this long at most before it is written


def record_batch(
    *, engine: Engine, run_id: int, results: Sequence[SourceResult], now: datetime
) -> list[SourceResult]:
    """Record these sources in one transaction; what is returned was recorded (a source the
    database refused comes back as its `internal_error` row, one already recorded as skipped).
    """
    if not results:
        return []
    try:
        with session_scope(engine) as session:
            recording.record_sources(session=session, run_id=run_id, results=results, now=now)
        return list(results)
    except Exception as exc:
        if not refused_value(exc):
            raise
        log.warning(
            "a batch of %d source(s) was refused (%s): recording them one by one",
            len(results),
            one_line(exc),
        )
        return [record_unit(engine=engine, run_id=run_id, result=r, now=now) for r in results]


class BatchWriter:
    """Collects results and records them in batches; `on_recorded` sees each one recorded."""

    def __init__(
        self,
        *,
        engine: Engine,
        run_id: int,
        done: set[int],
        on_recorded: Callable[[SourceResult], None],
        clock: Callable[[], datetime],
        lost: threading.Event | None = None,
    ) -> None:
        """`lost` set: the run lock went to another holder; nothing more is written."""
        self._engine, self._run_id, self._done = engine, run_id, done
        self._lost = lost
        self._on_recorded, self._clock = on_recorded, clock
        self._batch: list[SourceResult] = []
        self._since = 0.0

    def add(self, result: SourceResult) -> None:
        """Queue one result; a source this run already recorded is reported as skipped."""
        if result.plan.source_id in self._done:
            self._on_recorded(SourceResult(result.plan, None, skipped=True))
            return
        if not self._batch:
            self._since = time.monotonic()
        self._done.add(result.plan.source_id)
        self._batch.append(result)
        if len(self._batch) >= BATCH_SOURCES:
            self.flush()

    def flush_if_due(self) -> None:
        """Write the batch when its first result has waited BATCH_AGE_S."""
        if self._batch and time.monotonic() - self._since >= BATCH_AGE_S:
            self.flush()

    def flush(self) -> None:
        batch, self._batch = self._batch, []
        if self._lost is not None and self._lost.is_set():
            return
        now = self._clock()
        for recorded in record_batch(
            engine=self._engine, run_id=self._run_id, results=batch, now=now
        ):
            self._on_recorded(recorded)

    def drop(self) -> None:
        """Forget the batch unwritten (the run is no longer ours to write)."""
        self._batch = []
