"""Writing sources' results: the rows one source makes, and many sources in one transaction.

A night of 10,000 sources written one transaction per source spends most of its writer's time
committing; here a batch of sources becomes three statements whatever its size: one
executemany of snapshots (a body kept once, compressed by the worker that fetched it), one of
evidence rows, one of fetch states. `source_unit.record_source` is the batch of one.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from factcheck.storage import records, runs

if TYPE_CHECKING:
    from factcheck.verification.source_unit import LinkResult, SourceResult


def packed_body(body: bytes) -> bytes:
    """A snapshot's body as stored (zlib): done on the worker thread, off the writer's."""
    return zlib.compress(body, runs.SNAPSHOT_COMPRESSION_LEVEL)


def record_sources(
    *, session: Session, run_id: int, results: Sequence[SourceResult], now: datetime
) -> None:
    """Write these sources' evidence, bodies and fetch states in the caller's transaction."""
    snapshots: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    for result in results:
        common = blank_row(run_id=run_id, result=result, now=now)
        fetched = result.fetched
        if fetched is not None and not result.reused:
            common["final_url"] = fetched.final_url[:2000]
            common["etag"], common["last_modified"] = fetched.etag, fetched.last_modified
            if result.error_code is None:
                snapshots.append(
                    runs.snapshot_row(
                        sha256=fetched.sha256,
                        packed=result.packed or packed_body(fetched.body),
                        size=len(fetched.body) if result.packed is None else result.size,
                        content_type=records.storable(fetched.content_type),
                        now=now,
                    )
                )
                common["snapshot_sha256"] = fetched.sha256
        evidence.extend(evidence_rows(result, common=common))
        if fetched is not None and result.error_code is None:
            states.append(
                runs.fetch_state_row(
                    source_id=result.plan.source_id,
                    url=result.plan.url,
                    etag=records.storable(fetched.etag),
                    last_modified=records.storable(fetched.last_modified),
                    sha256=None if fetched.not_modified else fetched.sha256,
                    fetched_at=fetched.fetched_at,
                )
            )
    runs.store_snapshots(session=session, rows=snapshots)
    runs.insert_evidence(session=session, rows=evidence)
    runs.update_fetch_states(session=session, rows=states)


def blank_row(*, run_id: int, result: SourceResult, now: datetime) -> dict[str, Any]:
    """The columns every evidence row of this source shares, before fetch or extraction fill
    them in; every column is named, as one executemany needs the same keys in each row."""
    fetched = result.fetched
    return {
        "run_id": run_id,
        "source_id": result.plan.source_id,
        "fetched_at": fetched.fetched_at if fetched else now,
        "http_status": result.http_status,
        "url": result.plan.url,
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


def evidence_rows(result: SourceResult, *, common: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per planned link: the source's error, a pointer to the reused row, or what the
    link's rule extracted."""
    outcomes = {r.link: r for r in result.links}
    rows = []
    for link in result.plan.links:
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
            row.update(extraction(outcomes[link]))
        rows.append(records.storable_row(row))
    return rows


def extraction(outcome: LinkResult) -> dict[str, Any]:
    """The columns one link's extraction (or its rule's failure) fills."""
    if outcome.error_code is not None:
        return {"error_code": outcome.error_code, "error_message": outcome.error_message}
    hits = [records.hit_json(h, q) for h, q in zip(outcome.hits, outcome.quantities, strict=True)]
    # A note (hits dropped, text cut, characters replaced) rides in error_message while
    # error_code stays NULL: the row is good evidence, and the note says what was left out.
    columns: dict[str, Any] = {"hits": hits, "error_message": outcome.note}
    if outcome.hits:
        first = outcome.hits[0]
        quantity = next((q for q in outcome.quantities if q is not None), None)
        columns["raw"], columns["excerpt"] = first.raw[:10_000], first.excerpt
        if quantity is not None:
            columns["value"] = records.canonical(quantity.amount)[:80]
            columns["unit"] = quantity.unit
    return columns
