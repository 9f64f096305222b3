"""The report's reads: one query per table for the whole site, never one per claim.

Each function reads what every page needs of one table for a list of claims (or runs) at once
and groups it by claim id in Python; `views` puts the groups together (`current_evidence` and
`evidence_items` pick a claim's share). Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from factcheck.domain import EvidenceItem, Role
from factcheck.storage.models import ClaimSource, Evidence, Source, Verdict
from factcheck.storage.runs import StoredEvidence


def claim_links(
    *, session: Session, claim_ids: Sequence[int]
) -> dict[int, list[tuple[ClaimSource, Source]]]:
    """Each claim's links with their sources, by source key then role."""
    found: dict[int, list[tuple[ClaimSource, Source]]] = defaultdict(list)
    if not claim_ids:
        return found
    query = (
        select(ClaimSource, Source)
        .join(Source, col(Source.id) == ClaimSource.source_id)
        .where(col(ClaimSource.claim_id).in_(list(claim_ids)))
        .order_by(col(ClaimSource.claim_id), col(Source.key), col(ClaimSource.role))
    )
    for link, source in session.exec(query):
        found[link.claim_id].append((link, source))
    return found


def verdict_rows(*, session: Session, claim_ids: Sequence[int]) -> dict[int, list[Verdict]]:
    """Every verdict row of each claim, oldest first: the timelines."""
    found: dict[int, list[Verdict]] = defaultdict(list)
    if not claim_ids:
        return found
    query = select(Verdict).where(col(Verdict.claim_id).in_(list(claim_ids)))
    for verdict in session.exec(query.order_by(col(Verdict.id))):
        found[verdict.claim_id].append(verdict)
    return found


@dataclass(frozen=True)
class Attempt:
    """The newest evidence row of one (claim, source, role), good or failed: how the last
    check of that link went."""

    source_id: int
    role: str
    fetched_at: datetime
    http_status: int | None
    error_code: str | None
    url: str | None


def last_attempts(
    *, session: Session, claim_ids: Sequence[int]
) -> dict[int, dict[tuple[int, str], Attempt]]:
    """Per claim, per (source, role): the newest evidence row (one grouped query)."""
    found: dict[int, dict[tuple[int, str], Attempt]] = defaultdict(dict)
    if not claim_ids:
        return found
    ev = sa.inspect(Evidence).local_table
    newest = (
        sa.select(sa.func.max(ev.c.id))
        .where(ev.c.claim_id.in_(list(claim_ids)))
        .group_by(ev.c.claim_id, ev.c.source_id, ev.c.role)
    )
    query = sa.select(
        ev.c.claim_id,
        ev.c.source_id,
        ev.c.role,
        ev.c.fetched_at,
        ev.c.http_status,
        ev.c.error_code,
        ev.c.url,
    ).where(ev.c.id.in_(newest.scalar_subquery()))
    for row in session.connection().execute(query):
        found[row.claim_id][(row.source_id, row.role)] = Attempt(
            row.source_id, row.role, row.fetched_at, row.http_status, row.error_code, row.url
        )
    return found


@dataclass(frozen=True)
class SeriesRow:
    source_id: int
    role: str
    fetched_at: datetime
    value: str
    unit: str | None


def series_rows(*, session: Session, claim_ids: Sequence[int]) -> dict[int, list[SeriesRow]]:
    """Every good evidence row with a figure, per claim, oldest first; a row that reused an
    unchanged source's extraction takes its original's figure."""
    found: dict[int, list[SeriesRow]] = defaultdict(list)
    if not claim_ids:
        return found
    ev = sa.inspect(Evidence).local_table
    orig = ev.alias("orig")
    value = sa.func.coalesce(ev.c.value, orig.c.value)
    query = (
        sa.select(
            ev.c.claim_id,
            ev.c.source_id,
            ev.c.role,
            ev.c.fetched_at,
            value.label("value"),
            sa.func.coalesce(ev.c.unit, orig.c.unit).label("unit"),
        )
        .select_from(ev)
        .outerjoin(orig, orig.c.id == ev.c.reused_from_id)
        .where(ev.c.claim_id.in_(list(claim_ids)), ev.c.error_code.is_(None), value.is_not(None))
        .order_by(ev.c.fetched_at, ev.c.id)
    )
    for row in session.connection().execute(query):
        found[row.claim_id].append(
            SeriesRow(row.source_id, row.role, row.fetched_at, row.value, row.unit)
        )
    return found


def run_failures(
    *, session: Session, run_ids: Sequence[int]
) -> dict[int, list[tuple[str, str, str | None]]]:
    """Each run's failed sources: (source key, URL fetched, error code), one per distinct
    code, by source key."""
    found: dict[int, list[tuple[str, str, str | None]]] = defaultdict(list)
    if not run_ids:
        return found
    ev = sa.inspect(Evidence).local_table
    source = sa.inspect(Source).local_table
    url = sa.func.coalesce(ev.c.url, source.c.url)
    query = (
        sa.select(ev.c.run_id, source.c.key, url.label("url"), ev.c.error_code)
        .select_from(ev)
        .join(source, source.c.id == ev.c.source_id)
        .where(ev.c.run_id.in_(list(run_ids)), ev.c.error_code.is_not(None))
        .distinct()
        .order_by(ev.c.run_id, source.c.key, ev.c.error_code)
    )
    for row in session.connection().execute(query):
        found[row.run_id].append((row.key, row.url, row.error_code))
    return found


def current_evidence(
    good: dict[tuple[int, str], StoredEvidence], links: list[tuple[ClaimSource, Source]]
) -> dict[tuple[int, str], StoredEvidence]:
    """The good evidence of the claim's links as they are now: of a link still declared, and
    fetched from the URL its source has now (evidence of an old URL is history)."""
    urls = {(link.source_id, link.role): source.url for link, source in links}
    return {
        ident: stored
        for ident, stored in good.items()
        if ident in urls and stored.row.url in (None, urls[ident])
    }


def evidence_items(
    good: dict[tuple[int, str], StoredEvidence], links: list[tuple[ClaimSource, Source]]
) -> list[EvidenceItem]:
    """The claim's good evidence as the judge's items (for the records chart)."""
    items = []
    for link, source in links:
        stored = good.get((link.source_id, link.role))
        if stored is not None:
            items.append(
                EvidenceItem(
                    source_key=source.key,
                    source_title=source.title,
                    role=Role(link.role),
                    fetched_at=stored.row.fetched_at,
                    hits=stored.hits,
                    quantities=stored.quantities,
                )
            )
    return items
