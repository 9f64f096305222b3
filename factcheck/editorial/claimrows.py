"""The claims export: one row per claim, its own fields, the verdict that stands and the
excerpt an editor should read first; keyset pages of claims, a few bulk queries per page."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.declarations.claim_fields import CLAIM_FIELDS
from factcheck.editorial import exportsql
from factcheck.editorial.columns import CLAIM_COLUMNS
from factcheck.editorial.csvwriter import format_row
from factcheck.editorial.exportsql import Filters
from factcheck.storage import catalog, runs, verdicts
from factcheck.storage.models import Claim, ClaimSource, Evidence, Source, Verdict
from factcheck.storage.records import claim_entry
from factcheck.verdicts.judge import STALE, freshness

CLAIM_BATCH = 500  # claims per keyset page (each page runs a few bulk queries)


def claim_rows(
    *, session: Session, filters: Filters, settings: Settings, now: datetime
) -> Iterator[list[str]]:
    dialect = exportsql.dialect_of(session)
    stale_after = timedelta(days=settings.stale_after_days)
    last_key: str | None = None
    while True:
        query = (
            select(Claim).order_by(exportsql.bytewise(col(Claim.key), dialect)).limit(CLAIM_BATCH)
        )
        if last_key is not None:
            query = query.where(exportsql.bytewise(col(Claim.key), dialect) > last_key)
        for condition in exportsql.claim_ids_where(filters):
            query = query.where(condition)
        claims = list(session.exec(query))
        if not claims:
            return
        last_key = claims[-1].key
        yield from _claim_page(session, claims, filters=filters, now=now, stale_after=stale_after)
        session.expunge_all()


def _claim_page(
    session: Session,
    claims: list[Claim],
    *,
    filters: Filters,
    now: datetime,
    stale_after: timedelta,
) -> Iterator[list[str]]:
    """The rows of one page of claims, read with one query per table rather than per claim."""
    ids = [c.id for c in claims if c.id is not None]
    tags = catalog.claim_tags(session=session, claim_ids=ids)
    standing = verdicts.effective_verdicts(session=session, claim_ids=ids)
    freshest = runs.freshest_evidence(session=session, claim_ids=ids)
    checked = _last_checked(session, ids)
    links = _claim_links(session, ids)
    for claim in claims:
        cid = claim.id or 0
        verdict = standing.get(cid)
        label = verdict.label if verdict else None
        if filters.label and (label or "none") != filters.label:
            continue
        good = freshest.get(cid, {})
        fetched = [kept.row.fetched_at for kept in good.values()]
        fresh = freshness(max(fetched, default=None), now=now, stale_after=stale_after)
        last_checked = checked.get(cid)
        if filters.since is not None and not any(
            t is not None and t >= filters.since
            for t in (claim.updated_at, verdict.created_at if verdict else None, last_checked)
        ):
            continue
        best = _best_evidence(good, verdict, links[cid])
        yield format_row(
            CLAIM_COLUMNS,
            (
                *_claim_values(claim, tags.get(cid, [])),
                label,
                verdict.set_by if verdict else None,
                verdict.editor if verdict else None,
                verdict.confidence if verdict else None,
                verdict.reason if verdict else None,
                verdict.created_at if verdict else None,
                last_checked,
                fresh == STALE,
                fresh,
                "\n".join(dict.fromkeys(source.url for _, source in links[cid])),
                best[0],
                best[1],
                claim.updated_at,
            ),
        )


def _last_checked(session: Session, ids: list[int]) -> dict[int, datetime]:
    """When each claim was last checked: the latest fetch time among its evidence rows."""
    return {
        cid: at
        for cid, at in session.execute(
            sa.select(col(Evidence.claim_id), sa.func.max(col(Evidence.fetched_at)))
            .where(col(Evidence.claim_id).in_(ids))
            .group_by(col(Evidence.claim_id))
        )
    }


def _claim_links(session: Session, ids: list[int]) -> dict[int, list[tuple[ClaimSource, Source]]]:
    """Each claim's links with their sources, in source order, fetched for the page at once."""
    links: dict[int, list[tuple[ClaimSource, Source]]] = {i: [] for i in ids}
    link_rows = session.exec(
        select(ClaimSource, Source)
        .join(Source, col(Source.id) == ClaimSource.source_id)
        .where(col(ClaimSource.claim_id).in_(ids))
        .order_by(col(Source.id), col(ClaimSource.id))
    )
    for link, source in link_rows:
        links[link.claim_id].append((link, source))
    return links


def _claim_values(claim: Claim, tags: Sequence[str]) -> tuple[Any, ...]:
    """The claim's own cells, one per declared field (claim_fields), in the column order."""
    entry = claim_entry(claim, tags)
    expected = entry.get("expected")
    where = entry.get("where")
    joined = {
        "expected": "; ".join(expected) if isinstance(expected, list) else expected,
        "where": "; ".join(where) if where else None,
        "tags": ", ".join(tags),
    }
    return tuple(joined.get(f.name, entry.get(f.name)) for f in CLAIM_FIELDS)


def _best_evidence(
    good: dict[tuple[int, str], runs.StoredEvidence],
    verdict: Verdict | None,
    links: list[tuple[ClaimSource, Source]],
) -> tuple[str | None, str | None]:
    """The excerpt an editor should read first: cited by the standing verdict, decisive,
    from an authoritative source, then the newest."""
    if not good:
        return None, None
    cited = set(verdict.evidence_ids or []) if verdict else set()
    by_link = {(link.source_id, link.role): (link, source) for link, source in links}

    def rank(item: tuple[tuple[int, str], runs.StoredEvidence]) -> tuple[Any, ...]:
        key, kept = item
        link = by_link.get(key)
        return (
            kept.row.id in cited,
            kept.row.stance in ("supports", "refutes"),
            bool(link and link[0].authoritative),
            kept.row.fetched_at,
            kept.row.id or 0,
        )

    key, kept = max(good.items(), key=rank)
    excerpt = next((h.excerpt for h in kept.hits if h.excerpt), None) or kept.row.excerpt
    source = by_link.get(key)
    return (source[1].key if source else None), excerpt
