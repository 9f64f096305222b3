"""One source, one unit of work: fetch and parse it once, run every linked rule, normalise
(no database); then record it in one transaction. Anything the source causes becomes its
evidence with an error code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from factcheck.domain import (
    ErrorCode,
    Fetched,
    Hit,
    Quantity,
    Role,
)
from factcheck.errors import ExtractError, FetchError
from factcheck.extraction.rules import Document, apply_rule, parse_document
from factcheck.fetching.fetcher import Fetcher
from factcheck.normalising.quantities import parse_quantities
from factcheck.storage import records, runs
from factcheck.verification.planning import LinkPlan, SourcePlan


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


def process_source(
    plan: SourcePlan, *, fetcher: Fetcher, clock: Callable[[], datetime]
) -> SourceResult:
    """Fetch once, parse once (not at all when unchanged), apply every linked rule.

    `clock` stamps the fetch (read when the body has arrived, one source after another)."""
    conditional = plan.reusable
    try:
        fetched = fetcher.fetch(
            plan.url,
            fmt=plan.fmt,
            etag=plan.etag if conditional else None,
            last_modified=plan.last_modified if conditional else None,
            now=clock,  # (the fetcher names its clock `now`)
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
            runs.store_snapshot(
                session=session,
                sha256=fetched.sha256,
                body=fetched.body,
                content_type=fetched.content_type,
                now=now,
            )
            common["snapshot_sha256"] = fetched.sha256
    outcomes = {r.link: r for r in result.links}
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
            row.update(_extraction(outcomes[link]))
        rows.append(row)
    runs.insert_evidence(session=session, rows=rows)
    if fetched is not None and result.error_code is None:
        runs.update_fetch_state(
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
    hits = [records.hit_json(h, q) for h, q in zip(outcome.hits, outcome.quantities, strict=True)]
    columns: dict[str, Any] = {"hits": hits}
    if outcome.hits:
        first = outcome.hits[0]
        quantity = next((q for q in outcome.quantities if q is not None), None)
        columns["raw"], columns["excerpt"] = first.raw[:10_000], first.excerpt
        if quantity is not None:
            columns["value"] = records.canonical(quantity.amount)[:80]
            columns["unit"] = quantity.unit
    return columns
