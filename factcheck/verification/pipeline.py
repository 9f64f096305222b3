"""The one joint between network and database: fetch -> extract -> normalise -> judge -> store.

A run is planned from the store (which sources are due, which claims to judge), then each
source is one unit of work keyed by (run, source): `process_source` fetches it once and parses
it once whatever the number of claims linked to it (no database), and `record_source` writes it
in one transaction. A unit already recorded for the run is skipped, so a run can be resumed,
and workers on several machines can later share a run through a queue of (run, source) units.
Failures are evidence with an error code, never verdicts, and a source is a fault boundary
(source_unit): nothing one source does fails the run. Then every claim in scope is judged on
the freshest good evidence of each of its sources; a verdict is appended only when the
judgement changed.

A stop (SIGTERM) takes effect within a fraction of a second: the writer takes no more results,
records each source still in flight as `interrupted`, judges what was recorded, and records
the run as interrupted; the workers are daemon threads nobody waits for (workers.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy.engine import Engine

from factcheck.config import Settings
from factcheck.domain import ErrorCode, RunStatus, Trigger, utcnow
from factcheck.fetching.fetcher import Fetcher
from factcheck.storage import runs
from factcheck.storage.db import session_scope
from factcheck.verification import journal
from factcheck.verification.batches import BatchWriter
from factcheck.verification.judge_claims import ClaimOutcome, Fresh, judge_claims
from factcheck.verification.planning import Plan, SourcePlan, plan_run
from factcheck.verification.source_unit import (
    SourceResult,
    failed_result,
    limits_for,
    process_source,
)
from factcheck.verification.workers import SourceWorkers

__all__ = ["Plan", "RunSummary", "preview_verification", "run_verification"]

log = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = "the run was stopped while this source was in flight"


@dataclass
class RunSummary:
    run_id: int | None
    status: RunStatus
    sources: list[SourceResult] = field(default_factory=list)
    claims: list[ClaimOutcome] = field(default_factory=list)

    @property
    def failed_sources(self) -> list[SourceResult]:
        return [s for s in self.sources if s.failed]

    @property
    def changes(self) -> list[ClaimOutcome]:
        return [c for c in self.claims if c.changed]


def run_verification(
    *,
    engine: Engine,
    settings: Settings,
    claim_keys: Sequence[str] = (),
    force: bool = False,
    trigger: Trigger = Trigger.MANUAL,
    run_id: int | None = None,
    on_planned: Callable[[Plan], None] | None = None,
    on_source: Callable[[SourceResult], None] | None = None,
    stop: threading.Event | None = None,
    lost: threading.Event | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> RunSummary:
    """Plan, fetch every due source on the workers, record each, judge, and record the run.

    `lost` is set when this process lost the run lock (another holder took it over): from then
    on nothing more is written, not even the run's end, which the new holder records.

    `run_id` resumes a run (sources it already recorded are skipped). `stop` ends the run
    early: sources in flight are recorded as interrupted, sources not started are left, and
    the run is recorded as interrupted.
    """
    plan, run_id, done = _plan(
        engine=engine,
        claim_keys=claim_keys,
        force=force,
        trigger=trigger,
        run_id=run_id,
        clock=clock,
    )
    if on_planned:
        on_planned(plan)
    stop, lost = stop or threading.Event(), lost or threading.Event()
    summary = _fetch_and_record(
        engine=engine,
        settings=settings,
        run_id=run_id,
        todo=[p for p in plan.sources if p.source_id not in done],
        done=done,
        stop=stop,
        lost=lost,
        on_source=on_source,
        clock=clock,
    )
    if lost.is_set():
        log.warning(
            "run %s lost the run lock: not judged, its end is recorded by the new holder", run_id
        )
        summary.status = RunStatus.INTERRUPTED
        return summary
    _judge_and_finish(
        engine=engine,
        settings=settings,
        summary=summary,
        claim_ids=plan.claim_ids,
        interrupted=stop.is_set(),
        clock=clock,
    )
    return summary


def _plan(
    *,
    engine: Engine,
    claim_keys: Sequence[str],
    force: bool,
    trigger: Trigger,
    run_id: int | None,
    clock: Callable[[], datetime],
) -> tuple[Plan, int, set[int]]:
    """The plan, the run (started now unless resumed), and the sources it already recorded."""
    done: set[int] = set()
    with session_scope(engine) as session:
        plan = plan_run(session=session, claim_keys=claim_keys, force=force, now=clock())
        if run_id is None:
            run_id = runs.start_run(session=session, trigger=trigger.value, now=clock()).id
        else:
            done = runs.sources_done_in_run(session=session, run_id=run_id)
    assert run_id is not None
    return plan, run_id, done


def _fetch_and_record(
    *,
    engine: Engine,
    settings: Settings,
    run_id: int,
    todo: Sequence[SourcePlan],
    done: set[int],
    stop: threading.Event,
    lost: threading.Event,
    on_source: Callable[[SourceResult], None] | None,
    clock: Callable[[], datetime],
) -> RunSummary:
    """Fetch on the workers, record the results here in batches; on a stop, what is in
    flight. The summary keeps each source's result without its body."""
    summary = RunSummary(run_id=run_id, status=RunStatus.RUNNING)

    def recorded(result: SourceResult) -> None:
        journal.log_source(result, run_id=run_id)
        summary.sources.append(result.slim())  # the body is written: keep the run small
        if on_source:
            on_source(result)

    writer = BatchWriter(
        engine=engine, run_id=run_id, done=set(done), on_recorded=recorded, clock=clock, lost=lost
    )

    def flush_if_due() -> None:
        if lost.is_set():  # the new holder of the lock owns the run now
            writer.drop()
        else:
            writer.flush_if_due()

    with Fetcher(settings) as fetcher:
        workers = SourceWorkers(
            work=partial(process_source, fetcher=fetcher, limits=limits_for(settings), clock=clock),
            width=settings.workers,
            stop=stop,
        )
        # This thread is the one writer, a transaction per batch of sources, so SQLite's single
        # write lock is never fought over; the workers parse and compress, the writer only
        # writes.
        for result in workers.results(todo, idle=flush_if_due):
            writer.add(result)
        for source_plan in workers.in_flight() if stop.is_set() else ():
            code, message = ErrorCode.INTERRUPTED.value, INTERRUPTED_MESSAGE
            writer.add(failed_result(source_plan, code=code, message=message))
        if lost.is_set():
            writer.drop()
        else:
            writer.flush()
    return summary


def _judge_and_finish(
    *,
    engine: Engine,
    settings: Settings,
    summary: RunSummary,
    claim_ids: Sequence[int],
    interrupted: bool,
    clock: Callable[[], datetime],
) -> None:
    """Judge every claim in scope on what is recorded, and record how the run ended."""
    assert summary.run_id is not None
    with session_scope(engine) as session:
        summary.claims = judge_claims(
            session=session,
            run_id=summary.run_id,
            claim_ids=claim_ids,
            settings=settings,
            now=clock(),
        )
        summary.status = RunStatus.INTERRUPTED if interrupted else RunStatus.SUCCEEDED
        runs.finish_run(
            session=session,
            run_id=summary.run_id,
            status=summary.status,
            now=clock(),
            counts={
                "claims": len(summary.claims),
                "sources": len(summary.sources),
                "errors": len(summary.failed_sources),
                "changes": len(summary.changes),
            },
        )
    journal.log_run(summary)


def preview_verification(
    *,
    engine: Engine,
    settings: Settings,
    claim_keys: Sequence[str] = (),
    force: bool = False,
    on_planned: Callable[[Plan], None] | None = None,
    on_source: Callable[[SourceResult], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> RunSummary:
    """A dry run: fetch, extract and judge as a run would, and write nothing.

    A source's failure, expected or not, is its error code in the summary (no traceback).
    """
    with session_scope(engine) as session:
        plan = plan_run(session=session, claim_keys=claim_keys, force=force, now=clock())
    if on_planned:
        on_planned(plan)
    summary = RunSummary(run_id=None, status=RunStatus.SUCCEEDED)
    with Fetcher(settings) as fetcher:
        work = partial(
            process_source,
            fetcher=fetcher,
            limits=limits_for(settings),
            clock=clock,
            log_traceback=False,
        )
        workers = SourceWorkers(work=work, width=settings.workers, stop=threading.Event())
        for result in workers.results(plan.sources):
            journal.log_source(result, run_id=None)
            summary.sources.append(result)
            if on_source:
                on_source(result)
    with session_scope(engine) as session:
        summary.claims = judge_claims(
            session=session,
            run_id=None,
            claim_ids=plan.claim_ids,
            settings=settings,
            now=clock(),
            fresh=_fresh_evidence(summary.sources, clock=clock),
        )
        session.rollback()
    journal.log_run(summary, dry_run=True)
    return summary


def _fresh_evidence(
    results: Sequence[SourceResult], *, clock: Callable[[], datetime]
) -> dict[tuple[int, int, str], Fresh]:
    """What a dry run extracted, keyed as judging reads it: (claim, source, role)."""
    fresh: dict[tuple[int, int, str], Fresh] = {}
    for result in results:
        if result.reused:
            continue
        stamp = result.fetched.fetched_at if result.fetched else clock()
        by_link = {r.link: r for r in result.links}
        for link in result.plan.links:
            got = by_link.get(link)
            code = result.error_code or (got.error_code if got else None)
            message = result.error_message or (got.error_message if got else None)
            hits, quantities = (got.hits, got.quantities) if got and not code else ((), ())
            fresh[(link.claim_id, result.plan.source_id, link.role)] = Fresh(
                hits, quantities, stamp, code, message
            )
    return fresh
