"""The run's workers wait for a writer that falls behind: memory does not grow with the run."""

from __future__ import annotations

import threading
import time

import pytest

from factcheck.domain import SourceFormat
from factcheck.verification import workers
from factcheck.verification.planning import SourcePlan
from factcheck.verification.source_unit import SourceResult


def _plan(number: int) -> SourcePlan:
    url = f"https://example.org/{number}"
    return SourcePlan(number, f"s{number}", url, SourceFormat.HTML, None, None, None, ())


def test_workers_stop_working_ahead_of_a_slow_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "RESULTS_AHEAD", 5)
    started: list[int] = []
    lock = threading.Lock()

    def work(plan: SourcePlan) -> SourceResult:
        with lock:
            started.append(plan.source_id)
        return SourceResult(plan, None)

    pool = workers.SourceWorkers(work=work, width=4, stop=threading.Event())
    results = pool.results([_plan(n) for n in range(100)])
    first = next(results)
    time.sleep(0.5)  # the writer is busy: at most RESULTS_AHEAD wait, one in each worker's hand
    assert first.plan.source_id in started
    assert len(started) <= 1 + 5 + 4
    rest = list(results)  # and every source is still done once
    assert sorted([first.plan.source_id] + [r.plan.source_id for r in rest]) == list(range(100))
    assert sorted(started) == list(range(100))


def test_a_stop_frees_workers_waiting_on_a_full_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "RESULTS_AHEAD", 1)
    stop = threading.Event()
    before = set(threading.enumerate())
    pool = workers.SourceWorkers(work=lambda p: SourceResult(p, None), width=3, stop=stop)
    results = pool.results([_plan(n) for n in range(20)])
    next(results)
    time.sleep(0.2)
    stop.set()
    assert list(results) == []  # nothing more is handed over after a stop

    def ours() -> list[threading.Thread]:
        return [t for t in set(threading.enumerate()) - before if t.name.startswith("factcheck-")]

    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and ours():
        time.sleep(0.05)
    assert ours() == []
