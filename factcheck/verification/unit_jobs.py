"""The procrastinate side of a spread run: the App, its one task, deferring, and the worker.

procrastinate keeps its jobs in our PostgreSQL database (schema by migration 0009), so there
is no second broker. A unit's job carries (run, source, claim scope); the work is
`spread.run_unit`. Faults:
- a worker killed mid-unit stops heartbeating; every worker looks every few seconds for jobs
  of workers silent for longer than `stall_timeout_s` and retries them (procrastinate's
  stalled-job API); the unit's row lock and state make the retry write nothing twice;
- SIGTERM / SIGINT: the worker takes no new job, finishes the units in flight, exits 0;
- the database going away: procrastinate's pool checks its connections, and a worker loop that
  stops on a lost connection is started again after a pause, until asked to stop.
procrastinate is imported inside the functions: `factcheck --help` must stay light.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from factcheck.config import Settings
from factcheck.errors import ConfigError
from factcheck.fetching.fetcher import Fetcher
from factcheck.fetching.robots import Pacer
from factcheck.storage import units
from factcheck.storage.db import session_scope
from factcheck.storage.hostpacer import PgHostPacer
from factcheck.verification import spread
from factcheck.verification.source_unit import one_line

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

QUEUE = "units"
TASK = "factcheck.unit"
# A job is retried until its unit is finished, 1, 2, 3... s later, at most MAX_RETRY_WAIT_S
# apart: a unit's own failures are bounded by its attempts (rununit, spread.UNIT_ATTEMPTS),
# so a job that keeps raising can only be one that cannot reach the database, and giving up on
# it would leave its unit queued and the run never judged.
MAX_RETRY_WAIT_S = 30
DEFER_BATCH = 1000
RESTART_PAUSE_S = 1.0

_context: spread.UnitContext | None = None  # this worker process's, for the task


def conninfo(url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (`postgresql+psycopg://` -> `postgresql://`)."""
    if not url.startswith("postgresql"):
        raise ConfigError("the procrastinate executor and `factcheck worker` need PostgreSQL")
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def unit_task(run_id: int, source_id: int, claim_ids: list[int] | None = None) -> str:
    """The job of one (run, source) unit."""
    if _context is None:
        raise RuntimeError("a unit job ran outside `factcheck worker`")
    return spread.run_unit(_context, run_id=run_id, source_id=source_id, claim_ids=claim_ids)


def make_app(settings: Settings) -> procrastinate.App:
    import procrastinate

    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        kwargs={"application_name": f"factcheck worker {worker_name()}"[:63]},
    )
    app = procrastinate.App(connector=connector)
    app.task(name=TASK, queue=QUEUE, retry=_until_recorded())(unit_task)
    return app


def _until_recorded() -> procrastinate.BaseRetryStrategy:
    """Retry for as long as it takes the database to come back, never giving up (see above)."""
    import procrastinate

    class UntilRecorded(procrastinate.BaseRetryStrategy):
        def get_retry_decision(
            self, *, exception: BaseException, job: procrastinate.jobs.Job
        ) -> procrastinate.RetryDecision | None:
            wait = min(1 + job.attempts, MAX_RETRY_WAIT_S)
            return procrastinate.RetryDecision(retry_in={"seconds": wait})

    return UntilRecorded()


def defer_units(
    settings: Settings, run_id: int, source_ids: Sequence[int], claim_ids: list[int] | None
) -> None:
    """One job per unit, deferred in batches (procrastinate's bulk defer)."""
    app = make_app(settings)
    with app.open():
        task = app.tasks[TASK]
        for start in range(0, len(source_ids), DEFER_BATCH):
            chunk = source_ids[start : start + DEFER_BATCH]
            scope: Any = claim_ids
            task.batch_defer(
                *({"run_id": run_id, "source_id": s, "claim_ids": scope} for s in chunk)
            )


# -- the worker process -------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def make_pacer(engine: Engine, settings: Settings) -> Pacer:
    """Per-host politeness shared by every worker, on every machine, through PostgreSQL."""
    return PgHostPacer(
        engine, concurrency=settings.per_host_concurrency, delay_s=settings.per_host_delay_s
    )


def serve(
    *, engine: Engine, settings: Settings, concurrency: int, queues: Sequence[str] = (QUEUE,)
) -> None:
    """Run a worker until SIGTERM or SIGINT; the units in flight are finished first."""
    global _context
    conninfo(settings.database_url)
    pool = settings.with_overrides(workers=max(settings.workers, concurrency))  # a slot per unit
    with Fetcher(pool, pacer=make_pacer(engine, settings)) as fetcher:
        _context = spread.UnitContext(
            engine=engine, settings=settings, fetcher=fetcher, worker=worker_name()
        )
        try:
            asyncio.run(_serve(settings=settings, concurrency=concurrency, queues=queues))
        finally:
            _context = None


async def _serve(*, settings: Settings, concurrency: int, queues: Sequence[str]) -> None:
    from procrastinate.worker import Worker

    loop = asyncio.get_running_loop()
    # the units are sync: each runs on a thread of the loop's default executor
    loop.set_default_executor(ThreadPoolExecutor(max_workers=concurrency + 2))
    stopping = asyncio.Event()
    current: list[Worker] = []

    def stop() -> None:
        log.info("stopping: no new unit is taken, the units in flight are finished first")
        stopping.set()
        for worker in current:
            worker.stop()  # type: ignore[no-untyped-call]

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    app = make_app(settings)
    timeout = float(settings.stall_timeout_s)
    async with app.open_async():
        watcher = asyncio.create_task(_retry_stalled(app, timeout=timeout, current=current))
        while not stopping.is_set():
            worker = Worker(
                app,
                queues=list(queues),
                name=worker_name(),
                concurrency=concurrency,
                install_signal_handlers=False,
                update_heartbeat_interval=max(0.5, timeout / 4),
                stalled_worker_timeout=timeout,
                fetch_job_polling_interval=1.0,
                # a done unit's job is deleted: the unit's row is the record, and the jobs
                # table (scanned for stalled and jobless units) stays the size of the work left
                delete_jobs="successful",
            )
            current[:] = [worker]
            try:
                await worker.run()  # type: ignore[no-untyped-call]
            except Exception as exc:
                log.warning("worker stopped on an error: %s", one_line(exc))
            if not stopping.is_set():
                log.warning("worker lost the database: starting again in %.0f s", RESTART_PAUSE_S)
                await _pause(stopping, RESTART_PAUSE_S)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    log.info("worker stopped: the units in flight were finished")


async def _pause(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


async def _retry_stalled(app: procrastinate.App, *, timeout: float, current: list[Any]) -> None:
    """Every few seconds: retry the unit jobs of workers silent for longer than `timeout`.

    It also beats for this process's worker: procrastinate stops its heartbeat when a stop
    begins, and the units being finished must not look stalled to the other workers.
    """
    every = max(0.5, timeout / 4)
    while True:
        await asyncio.sleep(every)
        try:
            for worker in current:
                if worker.worker_id is not None:
                    await app.job_manager.update_heartbeat(worker.worker_id)
            stalled = await app.job_manager.get_stalled_jobs(
                task_name=TASK, seconds_since_heartbeat=timeout
            )
            for job in stalled:
                try:
                    await app.job_manager.retry_job(job)
                except Exception as exc:  # another worker retried it first
                    log.debug("stalled job %s not retried here: %s", job.id, one_line(exc))
                    continue
                log.warning(
                    "unit job %s (run %s, source %s) retried: its worker stopped heartbeating",
                    job.id,
                    job.task_kwargs.get("run_id"),
                    job.task_kwargs.get("source_id"),
                )
            await _defer_jobless(app, timeout=timeout)
        except Exception as exc:  # the database away: the next round tries again
            log.warning("could not look for stalled units: %s", one_line(exc))


async def _defer_jobless(app: procrastinate.App, *, timeout: float) -> None:
    """Units no job will do (their starter died before deferring them) get a job again. A
    second job for a unit is harmless: its row lock and state make it record nothing twice."""
    ctx = _context
    if ctx is None:
        return
    before = ctx.clock() - timedelta(seconds=timeout)

    def find() -> list[tuple[int, int, list[int] | None]]:
        with session_scope(ctx.engine) as session:
            return units.jobless_units(session=session, task=TASK, before=before)

    for run_id, source_id, scope in await asyncio.to_thread(find):
        await app.tasks[TASK].defer_async(run_id=run_id, source_id=source_id, claim_ids=scope)
        log.warning("run %s source %s: its unit had no job, deferred again", run_id, source_id)
