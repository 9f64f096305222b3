"""A run spread over workers (FACTCHECK_EXECUTOR=procrastinate, PostgreSQL): one job per
(run, source) unit, any number of `factcheck worker` processes on any number of machines.

The starter (verify, the scheduler) plans the run under the run lock, writes its units
(`storage.units`) and defers one job per unit, then returns: the run stays `running` while
the workers fetch. A worker takes a unit (attempts + 1), fetches and extracts it, and records
its evidence and its `done` in one transaction, the unit's row locked: a unit retried after
its worker was killed finds itself done and writes nothing twice. A unit that raises in every
attempt is recorded as failed, with an `internal_error` row per link. Whoever finishes the
last unit judges the run, exactly once (`units.claim_judging`), from what the database holds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.domain import ErrorCode, RunStatus, utcnow
from factcheck.fetching.fetcher import Fetcher
from factcheck.storage import runs, units
from factcheck.storage.db import session_scope
from factcheck.storage.models import Claim, Run
from factcheck.verification import journal, notices, planning, source_unit
from factcheck.verification.judge_claims import judge_claims

log = logging.getLogger(__name__)

UNIT_ATTEMPTS = 3  # a unit that raises this many times is recorded as failed

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class UnitContext:
    """What a worker process shares between its units."""

    engine: Engine
    settings: Settings
    fetcher: Fetcher
    worker: str  # host:pid, recorded on the units it takes
    clock: Clock = utcnow
    sleep: Callable[[float], None] = time.sleep


# -- starting a spread run ----------------------------------------------------------------------


def launch(
    *,
    engine: Engine,
    settings: Settings,
    run_id: int,
    claim_keys: Sequence[str],
    force: bool,
    defer: Callable[[int, Sequence[int], list[int] | None], None],
    on_planned: Callable[[planning.Plan], None] | None = None,
    clock: Clock = utcnow,
) -> planning.Plan:
    """Plan the (already started) run, queue its units and defer their jobs; a run with
    nothing to fetch is judged at once. `defer(run_id, source_ids, claim_ids)` makes the jobs."""
    with session_scope(engine) as session:
        plan = planning.plan_run(session=session, claim_keys=claim_keys, force=force, now=clock())
        source_ids = [p.source_id for p in plan.sources]
        units.insert_units(session=session, run_id=run_id, source_ids=source_ids, now=clock())
    if on_planned:
        on_planned(plan)
    scope = list(plan.claim_ids) if claim_keys else None  # None: the active claims when judged
    if source_ids:
        defer(run_id, source_ids, scope)
        log.info("run %s: %d units deferred to the workers", run_id, len(source_ids))
    else:
        judge_once(engine=engine, settings=settings, run_id=run_id, claim_ids=scope, clock=clock)
    return plan


# -- one unit, in a worker ----------------------------------------------------------------------


def run_unit(ctx: UnitContext, *, run_id: int, source_id: int, claim_ids: list[int] | None) -> str:
    """Take the unit, fetch and record it (once), then judge the run if it was the last;
    returns the unit's state. Raises (for the queue to retry) before its last attempt."""
    with session_scope(ctx.engine) as session:
        taken = units.take_unit(
            session=session, run_id=run_id, source_id=source_id, worker=ctx.worker, now=ctx.clock()
        )
    if taken is None:
        log.warning("run %s has no unit for source %s: nothing to do", run_id, source_id)
        return "missing"
    state, attempts = taken
    if state == units.ENDED:  # its run ended (a launch that failed half-way): nothing to do
        log.warning("run %s is no longer running: its unit %s is left", run_id, source_id)
        return state
    if state not in units.FINISHED and attempts > UNIT_ATTEMPTS:
        # its earlier attempts never came back (the page kills the worker: OOM, a crash)
        error = RuntimeError(f"{attempts - 1} attempts ended with their worker gone")
        state = _record_failure(ctx, run_id=run_id, source_id=source_id, scope=claim_ids, exc=error)
    elif state not in units.FINISHED:
        try:
            state = _fetch_and_record(ctx, run_id=run_id, source_id=source_id, scope=claim_ids)
        except Exception as exc:
            if attempts < UNIT_ATTEMPTS:
                log.warning(
                    "run %s source %s: attempt %d failed: %s",
                    *(run_id, source_id, attempts, source_unit.one_line(exc)),
                )
                raise
            state = _record_failure(
                ctx, run_id=run_id, source_id=source_id, scope=claim_ids, exc=exc
            )
    _judge_if_last(ctx, run_id=run_id, claim_ids=claim_ids)
    return state


def _plan(
    session: Session, *, source_id: int, scope: list[int] | None, now: datetime
) -> list[planning.SourcePlan]:
    """The unit's plan; a run of all active claims is narrowed to this source's own claims
    first (planning them all, for every unit, made the worker CPU-bound)."""
    if scope is None:
        scope = units.linked_claims(session=session, source_id=source_id)
    return planning.plan_sources(session=session, source_ids=[source_id], claim_ids=scope, now=now)


def _fetch_and_record(
    ctx: UnitContext, *, run_id: int, source_id: int, scope: list[int] | None
) -> str:
    with session_scope(ctx.engine) as session:
        plans = _plan(session, source_id=source_id, scope=scope, now=ctx.clock())
    if not plans:  # unlinked since the run was planned: nothing to fetch, nothing failed
        note = "no link to a claim of the run any more"
        log.info("run %s source %s: %s", run_id, source_id, note)
        return _record(
            ctx, run_id=run_id, result=None, unit_state=units.DONE, source_id=source_id, error=note
        )
    result = source_unit.process_source(
        plans[0], fetcher=ctx.fetcher, limits=source_unit.limits_for(ctx.settings), clock=ctx.clock
    )
    try:
        state = _record(ctx, run_id=run_id, result=result, unit_state=units.DONE)
    except Exception as exc:
        if not source_unit.refused_value(exc):
            raise
        message = f"{source_unit.UNRECORDABLE}: {source_unit.one_line(exc)}"
        refused = source_unit.failed_result(
            plans[0], code=ErrorCode.INTERNAL_ERROR.value, message=message
        )
        state = _record(ctx, run_id=run_id, result=refused, unit_state=units.DONE)
    if state == units.DONE:
        journal.log_source(result, run_id=run_id)
    return state


def _record(
    ctx: UnitContext,
    *,
    run_id: int,
    result: source_unit.SourceResult | None,
    unit_state: str,
    source_id: int | None = None,
    error: str | None = None,
) -> str:
    """The unit's evidence (if any) and its end, in one transaction, under the unit's row
    lock; a unit another worker finished meanwhile is left as it is (returns its state)."""
    sid = result.plan.source_id if result is not None else source_id
    assert sid is not None
    with session_scope(ctx.engine) as session:
        current = units.lock_unit(session=session, run_id=run_id, source_id=sid)
        if current in units.FINISHED or current is None:
            return current or "missing"
        if result is not None:
            source_unit.record_source(
                session=session, run_id=run_id, result=result, now=ctx.clock()
            )
        units.finish_unit(
            session=session,
            run_id=run_id,
            source_id=sid,
            state=unit_state,
            now=ctx.clock(),
            error=error,
        )
    return unit_state


def _record_failure(
    ctx: UnitContext, *, run_id: int, source_id: int, scope: list[int] | None, exc: Exception
) -> str:
    """The unit failed its last attempt: an internal_error row per link and the unit failed;
    when even that cannot be written (no plan, refused rows), the unit failed alone."""
    message = f"failed in every attempt: {source_unit.one_line(exc)}"
    log.error("run %s source %s: %s", run_id, source_id, message, exc_info=exc)
    try:
        with session_scope(ctx.engine) as session:
            plans = _plan(session, source_id=source_id, scope=scope, now=ctx.clock())
        failed = source_unit.failed_result(
            plans[0], code=ErrorCode.INTERNAL_ERROR.value, message=message
        )
        return _record(ctx, run_id=run_id, result=failed, unit_state=units.FAILED, error=message)
    except Exception as second:  # no plan, or the rows refused: the unit's state says it
        log.warning("run %s source %s: no error evidence: %s", run_id, source_id, second)
    return _record(
        ctx, run_id=run_id, result=None, unit_state=units.FAILED, source_id=source_id, error=message
    )


# -- judging, once ------------------------------------------------------------------------------


def _judge_if_last(ctx: UnitContext, *, run_id: int, claim_ids: list[int] | None) -> None:
    with session_scope(ctx.engine) as session:
        left = units.anything_left(session=session, run_id=run_id)
    if not left:
        judge_once(
            engine=ctx.engine,
            settings=ctx.settings,
            run_id=run_id,
            claim_ids=claim_ids,
            clock=ctx.clock,
            sleep=ctx.sleep,
        )


def judge_once(
    *,
    engine: Engine,
    settings: Settings,
    run_id: int,
    claim_ids: Sequence[int] | None,
    clock: Clock = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Judge the run and record its end, if nobody has (True: this call did), then announce
    its flips. Judging and the run's end are one transaction."""
    with session_scope(engine) as session:
        if not units.claim_judging(session=session, run_id=run_id):
            return False
        ids = list(claim_ids) if claim_ids is not None else _active_claims(session)
        outcomes = judge_claims(
            session=session, run_id=run_id, claim_ids=ids, settings=settings, now=clock()
        )
        state = units.counts(session=session, run_ids=[run_id])[run_id]
        counts = {
            "claims": len(outcomes),
            "sources": state[units.DONE] + state[units.FAILED],
            "errors": units.sources_with_errors(session=session, run_id=run_id),
            "changes": sum(1 for o in outcomes if o.changed),
        }
        runs.finish_run(
            session=session, run_id=run_id, status=RunStatus.SUCCEEDED, counts=counts, now=clock()
        )
    log.info(
        "run %s judged: %d claims, %d sources (%d failed units), %d changed",
        *(run_id, counts["claims"], counts["sources"], state[units.FAILED], counts["changes"]),
        extra={"run": run_id},
    )
    notices.announce(engine=engine, settings=settings, run_id=run_id, sleep=sleep, clock=clock)
    return True


def _active_claims(session: Session) -> list[int]:
    query = select(Claim.id).where(Claim.status == "active").order_by(col(Claim.id))
    return [i for i in session.exec(query) if i is not None]


# -- watching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    run_id: int
    status: str
    units: dict[str, int]  # queued, running, done, failed


def progress(*, engine: Engine, run_id: int) -> Progress:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        status = run.status if run is not None else "missing"
        counted = units.counts(session=session, run_ids=[run_id])[run_id]
    return Progress(run_id, status, counted)


def wait_for_run(
    *,
    engine: Engine,
    run_id: int,
    on_progress: Callable[[Progress], None] | None = None,
    poll_s: float = 0.5,
    should_stop: Callable[[], bool] = lambda: False,
) -> Progress:
    """Poll until the run is no longer running (judged, or ended otherwise)."""
    while True:
        now = progress(engine=engine, run_id=run_id)
        if on_progress:
            on_progress(now)
        if now.status != RunStatus.RUNNING.value or should_stop():
            return now
        time.sleep(poll_s)
