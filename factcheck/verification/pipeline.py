"""The one joint between network and database: fetch -> extract -> normalise -> judge -> store.

A run is planned from the store (which sources are due, which claims to judge), then each
source is one unit of work keyed by (run, source): `process_source` fetches it once and parses
it once whatever the number of claims linked to it (no database), and `record_source` writes it
in one transaction. A unit already recorded for the run is skipped, so a run can be resumed,
and workers on several machines can later share a run through a queue of (run, source) units.
Failures are evidence with an error code, never verdicts. Then every claim in scope is judged
on the freshest good evidence of each of its sources; a verdict is appended only when the
judgement changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from factcheck.config import Settings
from factcheck.domain import (
    RunStatus,
    Trigger,
)
from factcheck.fetching.fetcher import Fetcher
from factcheck.storage import runs
from factcheck.storage.db import session_scope
from factcheck.storage.models import utcnow
from factcheck.verification.judge_claims import ClaimOutcome, Fresh, judge_claims
from factcheck.verification.planning import Plan, SourcePlan, plan_run
from factcheck.verification.source_unit import SourceResult, process_source, record_source

log = logging.getLogger(__name__)


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


# -- one source: network and parsing, no database ------------------------------------------------


# -- one source: storing ------------------------------------------------------------------------


# -- a whole run ----------------------------------------------------------------------------------


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
    """Plan, fetch every due source in a thread pool, judge, and record the run.

    `lost` is set when this process lost the run lock (another holder took it over): from then
    on nothing more is written, not even the run's end, which the new holder records.

    `run_id` resumes a run (sources it already recorded are skipped). `stop` ends the run
    early: sources not started are left, the run is recorded as interrupted.
    """
    done: set[int] = set()
    with session_scope(engine) as session:
        plan = plan_run(session=session, claim_keys=claim_keys, force=force, now=clock())
        if run_id is None:
            run_id = runs.start_run(session=session, trigger=trigger.value, now=clock()).id
        else:
            done = runs.sources_done_in_run(session=session, run_id=run_id)
    assert run_id is not None
    if on_planned:
        on_planned(plan)
    summary = RunSummary(run_id=run_id, status=RunStatus.RUNNING)
    stop = stop or threading.Event()
    # Workers fetch and parse; this thread is the one writer, one transaction per source, so
    # SQLite's single write lock is never fought over and a fetch slot frees as soon as its
    # page is parsed.
    with Fetcher(settings) as fetcher, ThreadPoolExecutor(max_workers=settings.workers) as pool:

        def unit(source_plan: SourcePlan) -> SourceResult | None:
            if stop.is_set():
                return None
            return process_source(source_plan, fetcher=fetcher, clock=clock)

        todo = [p for p in plan.sources if p.source_id not in done]
        futures = [pool.submit(unit, p) for p in todo]
        for future in as_completed(futures):
            result = future.result()
            if result is None or (lost is not None and lost.is_set()):
                continue
            with session_scope(engine) as session:
                if runs.source_done_in_run(
                    session=session, run_id=run_id, source_id=result.plan.source_id
                ):
                    result = SourceResult(result.plan, None, skipped=True)
                else:
                    record_source(session=session, run_id=run_id, result=result, now=clock())
            summary.sources.append(result)
            if on_source:
                on_source(result)
    interrupted = stop.is_set()
    if lost is not None and lost.is_set():
        log.warning(
            "run %s lost the run lock: not judged, its end is recorded by the new holder", run_id
        )
        summary.status = RunStatus.INTERRUPTED
        return summary
    with session_scope(engine) as session:
        summary.claims = judge_claims(
            session=session, run_id=run_id, claim_ids=plan.claim_ids, settings=settings, now=clock()
        )
        summary.status = RunStatus.INTERRUPTED if interrupted else RunStatus.SUCCEEDED
        runs.finish_run(
            session=session,
            run_id=run_id,
            status=summary.status,
            now=clock(),
            counts={
                "claims": len(summary.claims),
                "sources": len(summary.sources),
                "errors": len(summary.failed_sources),
                "changes": len(summary.changes),
            },
        )
    log.info(
        "run %s %s: %d sources, %d failed, %d changes",
        run_id,
        summary.status.value,
        len(summary.sources),
        len(summary.failed_sources),
        len(summary.changes),
    )
    return summary


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
    """A dry run: fetch, extract and judge as a run would, and write nothing."""
    with session_scope(engine) as session:
        plan = plan_run(session=session, claim_keys=claim_keys, force=force, now=clock())
    if on_planned:
        on_planned(plan)
    summary = RunSummary(run_id=None, status=RunStatus.SUCCEEDED)
    with Fetcher(settings) as fetcher, ThreadPoolExecutor(max_workers=settings.workers) as pool:
        futures = [
            pool.submit(process_source, p, fetcher=fetcher, clock=clock) for p in plan.sources
        ]
        for future in as_completed(futures):
            summary.sources.append(future.result())
            if on_source:
                on_source(summary.sources[-1])
    fresh: dict[tuple[int, int, str], Fresh] = {}
    for result in summary.sources:
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
    with session_scope(engine) as session:
        summary.claims = judge_claims(
            session=session,
            run_id=None,
            claim_ids=plan.claim_ids,
            settings=settings,
            now=clock(),
            fresh=fresh,
        )
        session.rollback()
    return summary
