"""The fetch-and-extract workers of a run: daemon threads fed by a queue.

A `ThreadPoolExecutor` joins its threads when the interpreter exits, so a stopped run would
still wait for every source in flight (a page that trickles forever waits the per-source
deadline). These workers are daemon threads: a stopped run takes no more results, records what
was in flight as interrupted, and returns; the process exits without waiting for them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial

from factcheck.verification.planning import SourcePlan
from factcheck.verification.source_unit import Fault, SourceResult, contain, failed_result

POLL_S = 0.05  # how often the writer looks at the stop event (and its batch's age) when idle
# Results (bodies included) waiting for the writer, at most: when it falls behind, the workers
# wait, so a run's memory does not grow with its number of sources.
RESULTS_AHEAD = 256


class SourceWorkers:
    """Runs `work` on each plan on up to `width` daemon threads, until done or `stop` is set."""

    def __init__(
        self,
        *,
        work: Callable[[SourcePlan], SourceResult],
        width: int,
        stop: threading.Event,
    ) -> None:
        self._work, self._width, self._stop = work, max(1, width), stop
        self._todo: queue.SimpleQueue[SourcePlan] = queue.SimpleQueue()
        self._done: queue.Queue[SourceResult] = queue.Queue(maxsize=RESULTS_AHEAD)
        self._started: dict[int, SourcePlan] = {}  # by source id: taken, result not yet handed
        self._guard = threading.Lock()

    def results(
        self, plans: Sequence[SourcePlan], *, idle: Callable[[], None] | None = None
    ) -> Iterator[SourceResult]:
        """Each result as it finishes; ends early (without waiting) once `stop` is set.

        `idle` is called between results, and every POLL_S while none arrives (the writer
        writes a batch that has waited long enough)."""
        for plan in plans:
            self._todo.put(plan)
        for number in range(min(self._width, len(plans))):
            name = f"factcheck-source-{number}"
            threading.Thread(target=self._serve, name=name, daemon=True).start()
        remaining = len(plans)
        while remaining and not self._stop.is_set():
            if idle is not None:
                idle()
            try:
                result = self._done.get(timeout=POLL_S)
            except queue.Empty:
                continue
            remaining -= 1
            with self._guard:
                self._started.pop(result.plan.source_id, None)
            yield result

    def in_flight(self) -> list[SourcePlan]:
        """Sources a worker took whose results were not handed over (after a stop)."""
        with self._guard:
            return list(self._started.values())

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                plan = self._todo.get_nowait()
            except queue.Empty:
                return
            with self._guard:
                self._started[plan.source_id] = plan
            # `work` contains its own faults; this guard keeps a worker alive past a bug in it
            outcome = contain(partial(self._work, plan), what=f"source {plan.key}")
            if isinstance(outcome, Fault):
                outcome = failed_result(plan, code=outcome.code, message=outcome.message)
            while not self._stop.is_set():
                try:
                    self._done.put(outcome, timeout=POLL_S)
                    break
                except queue.Full:
                    continue
