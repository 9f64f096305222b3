"""The nightly run: APScheduler 3 with its job kept in our database, catch-up, one scheduler.

The job has a fixed id and is added only when absent: `replace_existing=True` at every start
would recompute its next run from now and silently drop a run missed while the scheduler was
down (apscheduler issue 696). Its options: `coalesce` (missed fire times make one run),
`max_instances=1`, `misfire_grace_time` (a missed fire still runs at start when that late).

A night is *served* by a successful schedule or catch-up run that started at or after its fire
time. Beyond APScheduler's grace the catch-up rule takes over: on start, when the night after
the last served one is more than the grace late, exactly one catch-up run starts at once. Both
check inside the run lock that their night is not served yet, so never both run for one night.
The rules are pure (nights.py); this module wires them to APScheduler, which pickles jobs into
its table: the stored job names a module-level function, `nightly_job`, which finds this
process's live service. A run spread over workers is waited for before the report's rebuild.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from factcheck.config import Settings
from factcheck.domain import RunStatus, Trigger, utcnow
from factcheck.errors import DatabaseError, FactcheckError, LockHeldError
from factcheck.storage import runlock, runs
from factcheck.storage.db import session_scope
from factcheck.storage.models import Run
from factcheck.verification import runner
from factcheck.verification.nights import catch_up_due, make_trigger, night_served

log = logging.getLogger(__name__)

JOB_ID = "factcheck-nightly"
JOB_TABLE = "apscheduler_jobs"  # left out of Alembic's drift check (migrations/env.py)
NIGHTLY_TRIGGERS = (Trigger.SCHEDULE.value, Trigger.CATCH_UP.value)

Clock = Callable[[], datetime]


# -- the service --------------------------------------------------------------------------------


class NightlyService:
    """The job bodies: the nightly run and the catch-up, each through the run lock."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        after_run: Callable[[], None] | None = None,  # after each run: the report's rebuild
    ) -> None:
        self.engine, self.settings, self.clock, self.sleep = engine, settings, clock, sleep
        self.after_run = after_run
        self.trigger = make_trigger(settings)
        self.grace = timedelta(seconds=settings.misfire_grace_s)
        self.stopping = threading.Event()
        self.interrupted_runs: list[int] = []  # runs a stop cut short (the process exits 130)
        self._runs: set[threading.Event] = set()
        self._guard = threading.Lock()

    def last_success(self) -> datetime | None:
        with session_scope(self.engine) as session:
            run = runs.last_run(
                session=session, triggers=NIGHTLY_TRIGGERS, status=RunStatus.SUCCEEDED.value
            )
            return run.started_at if run else None

    def catch_up_due(self) -> bool:
        last, now = self.last_success(), self.clock()
        return catch_up_due(trigger=self.trigger, last_success=last, now=now, grace=self.grace)

    def nightly(self) -> runner.RunReport | None:
        """The scheduled job: one run, unless this night is already served."""
        return self._run(
            Trigger.SCHEDULE,
            lambda: (
                not night_served(
                    trigger=self.trigger, last_success=self.last_success(), now=self.clock()
                )
            ),
        )

    def catch_up(self) -> runner.RunReport | None:
        """The run at start after a missed night; checked again under the lock."""
        return self._run(Trigger.CATCH_UP, self.catch_up_due)

    def stop(self) -> None:
        """Stop: runs in progress record their sources in flight and end interrupted."""
        self.stopping.set()
        with self._guard:
            for event in self._runs:
                event.set()

    def _run(self, trigger: Trigger, wanted: Callable[[], bool]) -> runner.RunReport | None:
        stop = threading.Event()
        with self._guard:
            if self.stopping.is_set():
                return None
            self._runs.add(stop)
        waits = partial(log.info, "%s run waits: %s", trigger.value)
        try:  # a run still on the workers first: a night is not dropped for it
            runner.wait_for_workers(
                engine=self.engine, settings=self.settings, stop=stop, on_wait=waits
            )
            with runlock.hold(
                engine=self.engine,
                settings=self.settings,
                name=runlock.RUN_LOCK,
                wait=True,
                stop=stop,
                on_wait=waits,
                on_lost=stop.set,
            ) as lease:
                if not wanted():
                    log.info("%s run skipped: this night is already served", trigger.value)
                    return None
                report = runner.execute(
                    engine=self.engine,
                    settings=self.settings,
                    lease=lease,
                    trigger=trigger,
                    stop=stop,
                    clock=self.clock,
                    sleep=self.sleep,
                )
            if report.summary.status is RunStatus.INTERRUPTED and report.summary.run_id:
                self.interrupted_runs.append(report.summary.run_id)
            spread_id = (
                report.summary.run_id if report.summary.status is RunStatus.RUNNING else None
            )
            if spread_id and self.after_run is not None:  # the rebuild waits for the judging
                from factcheck.verification import spread

                spread.wait_for_run(engine=self.engine, run_id=spread_id, should_stop=stop.is_set)
            if self.after_run is not None and not self.stopping.is_set():
                try:  # outside the run lock; its failure is logged, the scheduler goes on
                    self.after_run()
                except Exception:
                    log.exception("after the %s run: the follow-up step failed", trigger.value)
            return report
        except LockHeldError as exc:  # stopped while waiting
            log.info("%s run not started: %s", trigger.value, exc)
        except FactcheckError as exc:
            log.error("%s run failed: %s", trigger.value, exc)
        finally:
            with self._guard:
                self._runs.discard(stop)
        return None


_live: NightlyService | None = None  # the service of this process, for the stored job


def nightly_job() -> None:
    """What the stored job calls (by name: APScheduler keeps it pickled in the database)."""
    if _live is None:
        log.error("the nightly job fired, but no scheduler service is live in this process")
        return
    _live.nightly()


def ensure_job(scheduler: BackgroundScheduler, *, settings: Settings) -> Job:
    """Add the nightly job only when absent; keep a stored job's next run time.

    A changed cron or time zone reschedules the job (from now: the operator asked for a new
    schedule); other options are updated in place.
    """
    trigger = make_trigger(settings)
    options = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": settings.misfire_grace_s,
    }
    job = scheduler.get_job(JOB_ID, jobstore="default")
    if job is None:
        try:
            return scheduler.add_job(
                nightly_job,
                trigger=trigger,
                id=JOB_ID,
                name="nightly verification",
                jobstore="default",
                replace_existing=False,
                **options,
            )
        except ConflictingIdError:  # added in between by someone else
            job = scheduler.get_job(JOB_ID, jobstore="default")
            assert job is not None
    if repr(job.trigger) != repr(trigger):
        log.info("schedule changed from %s to %s", job.trigger, trigger)
        scheduler.reschedule_job(JOB_ID, jobstore="default", trigger=trigger)
    changed = {k: v for k, v in options.items() if getattr(job, k) != v}
    if changed:
        scheduler.modify_job(JOB_ID, jobstore="default", **changed)
    stored = scheduler.get_job(JOB_ID, jobstore="default")  # the changes are made on a copy
    assert stored is not None
    return stored


def make_scheduler(*, engine: Engine, settings: Settings) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE),
            "local": MemoryJobStore(),  # the catch-up: this start only, never persisted
        },
        executors={"default": ThreadPoolExecutor(2)},
        timezone=make_trigger(settings).timezone,
    )


def stop_scheduler(aps: BackgroundScheduler, *, wait: bool = True) -> None:
    """Shut down without touching the stored job.

    APScheduler 3's `shutdown` wakes its loop once more with the executors already closed; a job
    due at that moment is then consumed (its next run time moves on) but never runs. Pausing and
    detaching the job stores first leaves the stored job as it was, for the next start.
    """
    aps.pause()
    for alias in ("default", "local"):
        aps.remove_jobstore(alias, shutdown=False)
    aps.shutdown(wait=wait)


@dataclass(frozen=True)
class Started:
    next_run_time: datetime | None
    catch_up: bool
    interrupted_runs: tuple[int, ...]


def serve(
    *,
    engine: Engine,
    settings: Settings,
    shutdown: threading.Event,
    on_started: Callable[[Started], None] | None = None,
    after_run: Callable[[], None] | None = None,
) -> tuple[int, ...]:
    """Run the scheduler until `shutdown` is set (SIGTERM/SIGINT at the edge).

    Returns the runs the shutdown interrupted (a catch-up or nightly run in progress), so that
    the process can say it was cut short (exit 130). Holds the scheduler lock throughout: a
    second scheduler gets LockHeldError at once, and a scheduler that loses the lock stops and
    raises it too.
    """
    global _live
    lost = threading.Event()

    def on_lost() -> None:
        lost.set()
        shutdown.set()

    with runlock.hold(
        engine=engine, settings=settings, name=runlock.SCHEDULER_LOCK, on_lost=on_lost
    ):
        service = NightlyService(engine=engine, settings=settings, after_run=after_run)
        scheduler = make_scheduler(engine=engine, settings=settings)
        _live = service
        scheduler.start(paused=True)
        try:
            job = ensure_job(scheduler, settings=settings)
            orphans = runner.interrupt_orphans(
                engine=engine, settings=settings, clock=service.clock
            )
            catch_up = service.catch_up_due()
            if catch_up:
                scheduler.add_job(
                    service.catch_up, id="catch-up", jobstore="local", misfire_grace_time=None
                )
            scheduler.resume()
            log.info(
                "scheduler started: next nightly run at %s%s",
                _utc(job.next_run_time),
                "; a catch-up run starts now" if catch_up else "",
            )
            if on_started is not None:
                on_started(Started(job.next_run_time, catch_up, tuple(orphans)))
            while not shutdown.wait(1.0):
                pass
            service.stop()
            log.info("scheduler stopping: a run in progress records its sources in flight")
        finally:
            service.stop()
            stop_scheduler(scheduler)
            _live = None
    log.info("scheduler stopped")
    if lost.is_set():
        raise LockHeldError("lost the scheduler lock (another scheduler took it over): stopped")
    return tuple(service.interrupted_runs)


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else "never (the job is paused)"


# -- status -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleStatus:
    cron: str
    timezone: str
    next_run_time: datetime | None
    job_stored: bool  # False: no scheduler has started on this database yet
    last_run: Run | None
    last_nightly_success: datetime | None
    catch_up_due: bool  # a scheduler starting now would run a catch-up
    scheduler_holder: runlock.Holder | None
    run_holder: runlock.Holder | None


def stored_next_run_time(engine: Engine) -> tuple[bool, datetime | None]:
    """(job stored?, its next run time) read straight from APScheduler's table."""
    try:
        if not sa.inspect(engine).has_table(JOB_TABLE):
            return False, None
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(f"SELECT next_run_time FROM {JOB_TABLE} WHERE id = :id"), {"id": JOB_ID}
            ).first()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read the job store: {exc}") from exc
    if row is None:
        return False, None
    stamp = row[0]
    return True, datetime.fromtimestamp(stamp, UTC) if stamp is not None else None


def schedule_status(*, engine: Engine, settings: Settings, now: datetime) -> ScheduleStatus:
    trigger = make_trigger(settings)
    stored, next_run = stored_next_run_time(engine)
    if not stored:
        next_run = trigger.get_next_fire_time(None, now)
    with session_scope(engine) as session:
        last = runs.last_run(session=session)
        success = runs.last_run(
            session=session, triggers=NIGHTLY_TRIGGERS, status=RunStatus.SUCCEEDED.value
        )
    last_success = success.started_at if success else None
    return ScheduleStatus(
        cron=settings.schedule_cron,
        timezone=settings.schedule_timezone,
        next_run_time=next_run.astimezone(UTC) if next_run else None,
        job_stored=stored,
        last_run=last,
        last_nightly_success=last_success,
        catch_up_due=catch_up_due(
            trigger=trigger,
            last_success=last_success,
            now=now,
            grace=timedelta(seconds=settings.misfire_grace_s),
        ),
        scheduler_holder=runlock.current_holder(
            engine=engine, name=runlock.SCHEDULER_LOCK, now=lambda: now
        ),
        run_holder=runlock.current_holder(engine=engine, name=runlock.RUN_LOCK, now=lambda: now),
    )
