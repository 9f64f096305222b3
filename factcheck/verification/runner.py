"""One recorded verification run, whoever starts it: under the run lock, then its notices.

Every path that writes a run (`factcheck verify`, `schedule run-now`, the nightly job and the
catch-up) comes through here, so at most one run writes at a time across processes, and a run
found `running` by the lock's holder can only have been left by a process that stopped: it is
marked interrupted before anything else happens. A new run then starts; the sources the
interrupted run already recorded are not due again (their recheck interval restarted), so
nothing is fetched or stored twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.engine import Engine

from factcheck.config import Settings
from factcheck.domain import RunStatus, Trigger, utcnow
from factcheck.errors import LockHeldError
from factcheck.storage import catalog, runlock, runs, units
from factcheck.storage.db import session_scope
from factcheck.verification import journal, notices, pipeline, planning, source_unit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunReport:
    summary: pipeline.RunSummary
    notice: notices.Notice
    interrupted_runs: tuple[int, ...] = ()  # runs found left running, now marked interrupted


def interrupt_orphans(
    *, engine: Engine, settings: Settings, clock: Callable[[], datetime] = utcnow
) -> list[int]:
    """Mark runs left running as interrupted, if no run is in progress now (else: later)."""
    try:
        with (
            runlock.hold(engine=engine, settings=settings, name=runlock.RUN_LOCK),
            session_scope(engine) as session,
        ):
            if units.spread_run_in_progress(session=session) is not None:
                return []  # on the workers: not an orphan
            found = runs.interrupt_running_runs(session=session, now=clock())
    except LockHeldError:
        return []
    if found:
        log.warning("marked interrupted: run(s) %s, left running by a stopped process", _ids(found))
    return found


def _ids(runs_: Sequence[int]) -> str:
    return ", ".join(map(str, runs_))


def execute(
    *,
    engine: Engine,
    settings: Settings,
    lease: runlock.Lease,
    trigger: Trigger,
    claim_keys: Sequence[str] = (),
    force: bool = False,
    stop: threading.Event | None = None,
    on_planned: Callable[[planning.Plan], None] | None = None,
    on_source: Callable[[source_unit.SourceResult], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    lost: threading.Event | None = None,
) -> RunReport:
    """Run verification while holding `lease` (the run lock), record it, announce its flips.

    With the procrastinate executor the run is planned and its units deferred to the workers
    (`spread`): the report's run is then still running, judged by the worker of its last unit.
    """
    run_id, orphans = _start(engine=engine, claim_keys=claim_keys, trigger=trigger, clock=clock)
    if settings.executor == "procrastinate":
        return _spread(
            engine=engine,
            settings=settings,
            run_id=run_id,
            claim_keys=claim_keys,
            force=force,
            on_planned=on_planned,
            clock=clock,
            orphans=orphans,
        )
    beat = partial(_touch, engine, run_id, clock)
    lease.beats.append(beat)
    try:
        summary = pipeline.run_verification(
            engine=engine,
            settings=settings,
            claim_keys=claim_keys,
            force=force,
            trigger=trigger,
            run_id=run_id,
            on_planned=on_planned,
            on_source=on_source,
            stop=stop,
            lost=lost,
            clock=clock,
        )
    except BaseException as exc:
        _end_unfinished(engine, run_id, exc, clock)
        raise
    finally:
        lease.beats.remove(beat)
    # a stopped run announces its flips with one attempt: the process is asked to exit now
    attempts = 1 if stop is not None and stop.is_set() else notices.WEBHOOK_ATTEMPTS
    notice = notices.announce(
        engine=engine, settings=settings, run_id=run_id, attempts=attempts, sleep=sleep, clock=clock
    )
    return RunReport(summary=summary, notice=notice, interrupted_runs=tuple(orphans))


def _start(
    *, engine: Engine, claim_keys: Sequence[str], trigger: Trigger, clock: Callable[[], datetime]
) -> tuple[int, list[int]]:
    """Check the claim keys, mark orphans interrupted and start the run: (run, orphans).
    A run still on the workers is no orphan: the new run waits for it (LockHeldError)."""
    with session_scope(engine) as session:
        for key in claim_keys:  # an unknown key fails here, before anything is written
            catalog.get_claim(session=session, key=key)
        busy = units.spread_run_in_progress(session=session)
        if busy is not None:
            raise LockHeldError(f"run {busy} is still in progress on the workers")
        orphans = runs.interrupt_running_runs(session=session, now=clock())
        run = runs.start_run(session=session, trigger=trigger.value, now=clock())
    assert run.id is not None
    if orphans:
        log.warning(
            "marked interrupted: run(s) %s, left running by a stopped process", _ids(orphans)
        )
    log.info("run %s started (%s)", run.id, trigger.value, extra={"run": run.id})
    return run.id, orphans


def _spread(
    *,
    engine: Engine,
    settings: Settings,
    run_id: int,
    claim_keys: Sequence[str],
    force: bool,
    on_planned: Callable[[planning.Plan], None] | None,
    clock: Callable[[], datetime],
    orphans: Sequence[int],
) -> RunReport:
    """Plan the run and defer its units; a failure to do so ends the run as failed."""
    from factcheck.verification import spread, unit_jobs

    try:
        spread.launch(
            engine=engine,
            settings=settings,
            run_id=run_id,
            claim_keys=claim_keys,
            force=force,
            defer=partial(unit_jobs.defer_units, settings),
            on_planned=on_planned,
            clock=clock,
        )
    except BaseException as exc:
        _end_unfinished(engine, run_id, exc, clock)
        raise
    summary = pipeline.RunSummary(run_id=run_id, status=RunStatus.RUNNING)
    return RunReport(summary, notices.Notice(flips=[]), interrupted_runs=tuple(orphans))


def wait_for_workers(
    *,
    engine: Engine,
    settings: Settings,
    stop: threading.Event,
    on_wait: Callable[[str], None] | None,
) -> None:
    """Until no run is left on the workers (a new run waits for a spread one to be judged);
    at once with the local executor."""
    if settings.executor != "procrastinate":
        return
    told = False
    while not stop.is_set():
        with session_scope(engine) as session:
            busy = units.spread_run_in_progress(session=session)
        if busy is None:
            return
        if on_wait is not None and not told:
            on_wait(f"run {busy} is still in progress on the workers")
            told = True
        stop.wait(1.0)


def _end_unfinished(
    engine: Engine, run_id: int, exc: BaseException, clock: Callable[[], datetime]
) -> None:
    """Record how a run ended when it raised: interrupted by Ctrl-C, else failed."""
    status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
    with session_scope(engine) as session:
        note = f"{type(exc).__name__}: {exc}"
        runs.end_unfinished_run(
            session=session, run_id=run_id, status=status, note=note, now=clock()
        )
    log.error("run %s %s: %s", run_id, journal.outcome(status.value, 0), exc)


def _touch(engine: Engine, run_id: int, clock: Callable[[], datetime]) -> None:
    with session_scope(engine) as session:
        runs.touch_run(session=session, run_id=run_id, now=clock())


def run_locked(
    *,
    engine: Engine,
    settings: Settings,
    trigger: Trigger,
    claim_keys: Sequence[str] = (),
    force: bool = False,
    wait: bool = False,
    stop: threading.Event | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_planned: Callable[[planning.Plan], None] | None = None,
    on_source: Callable[[source_unit.SourceResult], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> RunReport:
    """Take the run lock (or wait for it, or raise LockHeldError), then `execute`.

    Losing the lock mid-run (a SQLite lease taken over after a long stall) stops the run.
    """
    stop = stop or threading.Event()
    lost = threading.Event()
    if wait:
        wait_for_workers(engine=engine, settings=settings, stop=stop, on_wait=on_wait)

    def on_lost() -> None:
        lost.set()
        stop.set()

    with runlock.hold(
        engine=engine,
        settings=settings,
        name=runlock.RUN_LOCK,
        wait=wait,
        stop=stop,
        on_wait=on_wait,
        on_lost=on_lost,
    ) as lease:
        return execute(
            engine=engine,
            settings=settings,
            lease=lease,
            trigger=trigger,
            claim_keys=claim_keys,
            force=force,
            stop=stop,
            on_planned=on_planned,
            on_source=on_source,
            clock=clock,
            sleep=sleep,
            lost=lost,
        )
