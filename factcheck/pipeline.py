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
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from factcheck import ledger
from factcheck.config import Settings
from factcheck.db import session_scope
from factcheck.domain import (
    ErrorCode,
    Fetched,
    Hit,
    Quantity,
    Role,
    RunStatus,
    Trigger,
)
from factcheck.errors import ExtractError, FetchError
from factcheck.extract import Document, apply_rule, parse_document
from factcheck.fetch import Fetcher
from factcheck.judging import ClaimOutcome, Fresh, judge_claims
from factcheck.models import utcnow
from factcheck.planning import LinkPlan, Plan, SourcePlan, plan_run
from factcheck.quantities import parse_quantities

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkResult:
    link: LinkPlan
    hits: tuple[Hit, ...] = ()
    quantities: tuple[Quantity | None, ...] = ()
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class SourceResult:
    plan: SourcePlan
    fetched: Fetched | None
    reused: bool = False
    error_code: str | None = None
    error_message: str | None = None
    links: tuple[LinkResult, ...] = ()
    skipped: bool = False  # already recorded in this run

    @property
    def failed(self) -> bool:
        return self.error_code is not None or any(r.error_code for r in self.links)


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


def normalise(
    hits: Sequence[Hit], *, unit: str | None, numeric: bool
) -> tuple[tuple[Hit, ...], tuple[Quantity | None, ...]]:
    """One (hit, quantity) per figure for numeric claims; hits as they are otherwise."""
    if not numeric:
        return tuple(hits), tuple(None for _ in hits)
    out_hits: list[Hit] = []
    out_quantities: list[Quantity | None] = []
    for hit in hits:
        if hit.value is not None:
            out_hits.append(hit)
            out_quantities.append(Quantity(amount=hit.value, unit=unit, text=hit.raw))
            continue
        found = parse_quantities(hit.raw)
        if not found:
            out_hits.append(hit)
            out_quantities.append(None)
        for q in found:
            if q.unit is None and unit:
                q = Quantity(q.amount, unit, q.bound, q.lower, q.upper, q.span, q.text)
            out_hits.append(
                Hit(raw=q.text, excerpt=hit.excerpt, location=hit.location, key=hit.key)
            )
            out_quantities.append(q)
    return tuple(out_hits), tuple(out_quantities)


def extract_links(document: Document, links: Sequence[LinkPlan]) -> tuple[LinkResult, ...]:
    results = []
    for link in links:
        try:
            hits = apply_rule(document, link.rule)
        except ExtractError as exc:
            results.append(LinkResult(link, error_code=exc.code, error_message=str(exc)))
            continue
        found, quantities = normalise(hits, unit=link.unit, numeric=link.numeric)
        if (
            link.numeric
            and link.role != Role.CONTRADICTS.value
            and not any(q is not None for q in quantities)
        ):
            message = (
                f"{link.rule.kind.value} matched, but no figure in {found[0].raw[:80]!r}"
                if found
                else "no hits"
            )
            results.append(
                LinkResult(link, error_code=ErrorCode.NO_QUANTITY.value, error_message=message)
            )
            continue
        results.append(LinkResult(link, hits=found, quantities=quantities))
    return tuple(results)


def process_source(plan: SourcePlan, *, fetcher: Fetcher) -> SourceResult:
    """Fetch once, parse once (not at all when unchanged), apply every linked rule."""
    conditional = plan.reusable
    try:
        fetched = fetcher.fetch(
            plan.url,
            fmt=plan.fmt,
            etag=plan.etag if conditional else None,
            last_modified=plan.last_modified if conditional else None,
        )
    except FetchError as exc:
        return SourceResult(plan, None, error_code=exc.code, error_message=str(exc))
    if conditional and (fetched.not_modified or fetched.sha256 == plan.last_sha256):
        return SourceResult(plan, fetched, reused=True)
    try:
        document = parse_document(fetched.body, fmt=plan.fmt, encoding=fetched.encoding)
    except ExtractError as exc:
        return SourceResult(plan, fetched, error_code=exc.code, error_message=str(exc))
    return SourceResult(plan, fetched, links=extract_links(document, plan.links))


# -- one source: storing ------------------------------------------------------------------------


def record_source(*, session: Session, run_id: int, result: SourceResult, now: datetime) -> None:
    """Write one source's evidence, body and fetch state in the caller's transaction.

    Rows go in as one Core executemany (no ORM objects: this is the hot path of a run). A
    reused row carries only what changed (when, and the HTTP status); its body, URL and
    extraction are those of the row it points at, which keeps an unchanged night small.
    """
    plan, fetched = result.plan, result.fetched
    common: dict[str, Any] = {
        "run_id": run_id,
        "source_id": plan.source_id,
        "fetched_at": fetched.fetched_at if fetched else now,
        "http_status": fetched.status if fetched else None,
        "final_url": None,
        "etag": None,
        "last_modified": None,
        "snapshot_sha256": None,
        "raw": None,
        "value": None,
        "unit": None,
        "excerpt": None,
        "hits": [],
        "stance": "none",
        "reused": False,
        "reused_from_id": None,
        "error_code": None,
        "error_message": None,
    }
    if fetched is not None and not result.reused:
        common["final_url"] = fetched.final_url[:2000]
        common["etag"], common["last_modified"] = fetched.etag, fetched.last_modified
        if result.error_code is None:
            ledger.store_snapshot(
                session=session,
                sha256=fetched.sha256,
                body=fetched.body,
                content_type=fetched.content_type,
            )
            common["snapshot_sha256"] = fetched.sha256
    outcomes = {id(r.link): r for r in result.links}
    rows = []
    for link in plan.links:
        row = {
            **common,
            "claim_id": link.claim_id,
            "role": link.role,
            "rule_kind": link.rule.kind.value,
            "rule": link.rule.expression,
            "rule_fingerprint": link.fingerprint,
        }
        if result.error_code is not None:
            row["error_code"], row["error_message"] = result.error_code, result.error_message
        elif result.reused:
            row["reused"], row["reused_from_id"] = True, link.previous_id
        else:
            row.update(_extraction(outcomes[id(link)]))
        rows.append(row)
    ledger.insert_evidence(session=session, rows=rows)
    if fetched is not None and result.error_code is None:
        ledger.update_fetch_state(
            session=session,
            source_id=plan.source_id,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            sha256=None if fetched.not_modified else fetched.sha256,
            fetched_at=fetched.fetched_at,
        )


def _extraction(outcome: LinkResult) -> dict[str, Any]:
    """The columns one link's extraction (or its rule's failure) fills."""
    if outcome.error_code is not None:
        return {"error_code": outcome.error_code, "error_message": outcome.error_message}
    hits = [ledger.hit_json(h, q) for h, q in zip(outcome.hits, outcome.quantities, strict=True)]
    columns: dict[str, Any] = {"hits": hits}
    if outcome.hits:
        first = outcome.hits[0]
        quantity = next((q for q in outcome.quantities if q is not None), None)
        columns["raw"], columns["excerpt"] = first.raw[:10_000], first.excerpt
        if quantity is not None:
            columns["value"] = ledger.canonical(quantity.amount)[:80]
            columns["unit"] = quantity.unit
    return columns


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
    now: Callable[[], datetime] = utcnow,
) -> RunSummary:
    """Plan, fetch every due source in a thread pool, judge, and record the run.

    `lost` is set when this process lost the run lock (another holder took it over): from then
    on nothing more is written, not even the run's end, which the new holder records.

    `run_id` resumes a run (sources it already recorded are skipped). `stop` ends the run
    early: sources not started are left, the run is recorded as interrupted.
    """
    done: set[int] = set()
    with session_scope(engine) as session:
        plan = plan_run(session=session, claim_keys=claim_keys, force=force, now=now())
        if run_id is None:
            run_id = ledger.start_run(session=session, trigger=trigger.value, now=now()).id
        else:
            done = ledger.sources_done_in_run(session=session, run_id=run_id)
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
            return process_source(source_plan, fetcher=fetcher)

        todo = [p for p in plan.sources if p.source_id not in done]
        futures = [pool.submit(unit, p) for p in todo]
        for future in as_completed(futures):
            result = future.result()
            if result is None or (lost is not None and lost.is_set()):
                continue
            with session_scope(engine) as session:
                if ledger.source_done_in_run(
                    session=session, run_id=run_id, source_id=result.plan.source_id
                ):
                    result = SourceResult(result.plan, None, skipped=True)
                else:
                    record_source(session=session, run_id=run_id, result=result, now=now())
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
            session=session, run_id=run_id, claim_ids=plan.claim_ids, settings=settings, now=now()
        )
        summary.status = RunStatus.INTERRUPTED if interrupted else RunStatus.SUCCEEDED
        ledger.finish_run(
            session=session,
            run_id=run_id,
            status=summary.status,
            now=now(),
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
    now: Callable[[], datetime] = utcnow,
) -> RunSummary:
    """A dry run: fetch, extract and judge as a run would, and write nothing."""
    with session_scope(engine) as session:
        plan = plan_run(session=session, claim_keys=claim_keys, force=force, now=now())
    if on_planned:
        on_planned(plan)
    summary = RunSummary(run_id=None, status=RunStatus.SUCCEEDED)
    with Fetcher(settings) as fetcher, ThreadPoolExecutor(max_workers=settings.workers) as pool:
        futures = [pool.submit(process_source, p, fetcher=fetcher) for p in plan.sources]
        for future in as_completed(futures):
            summary.sources.append(future.result())
            if on_source:
                on_source(summary.sources[-1])
    fresh: dict[tuple[int, int, str], Fresh] = {}
    for result in summary.sources:
        if result.reused:
            continue
        stamp = result.fetched.fetched_at if result.fetched else now()
        by_link = {id(r.link): r for r in result.links}
        for link in result.plan.links:
            got = by_link.get(id(link))
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
            now=now(),
            fresh=fresh,
        )
        session.rollback()
    return summary
