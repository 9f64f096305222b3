"""How fresh what the store knows is: each claim's freshness, each source's last fetch and
when it is next due. Read for whole lists at once (one query per list, never one per row), so
that `claim list` and `source list` stay fast at tens of thousands of rows.

Functions take the session as a keyword and never write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from factcheck.config import Settings
from factcheck.domain import ErrorCode, utcnow
from factcheck.storage.models import Evidence, Source
from factcheck.verdicts.judge import freshness

# -- claims -------------------------------------------------------------------------------------


def freshest_good_fetch(*, session: Session, claim_ids: Iterable[int]) -> dict[int, datetime]:
    """When each claim's freshest good evidence (no error) was fetched; absent: never."""
    ids = list(claim_ids)
    query = (
        sa.select(col(Evidence.claim_id), sa.func.max(col(Evidence.fetched_at)))
        .where(col(Evidence.claim_id).in_(ids), col(Evidence.error_code).is_(None))
        .group_by(col(Evidence.claim_id))
    )
    return {cid: at for cid, at in session.execute(query)} if ids else {}


def checked_claims(*, session: Session, claim_ids: Iterable[int]) -> set[int]:
    """The claims with any evidence row, good or failed: those a run has tried to check."""
    ids = list(claim_ids)
    query = sa.select(col(Evidence.claim_id)).where(col(Evidence.claim_id).in_(ids)).distinct()
    return set(session.execute(query).scalars()) if ids else set()


def claim_freshness(
    *, session: Session, claim_ids: Iterable[int], settings: Settings, now: datetime | None = None
) -> dict[int, str]:
    """Each claim's freshness (fresh, stale, no_evidence or never_checked) at `now` (default:
    the current time) under `settings.stale_after_days`, in two queries for them all."""
    ids = list(claim_ids)
    freshest = freshest_good_fetch(session=session, claim_ids=ids)
    unknown = [i for i in ids if i not in freshest]  # a good fetch is a check: skip those
    checked = set(freshest) | checked_claims(session=session, claim_ids=unknown)
    at, limit = now or utcnow(), timedelta(days=settings.stale_after_days)
    return {
        i: freshness(freshest.get(i), now=at, stale_after=limit, checked=i in checked) for i in ids
    }


# -- sources ------------------------------------------------------------------------------------


RECHECK_EARLY = timedelta(minutes=5)  # a run a few minutes early still takes a daily source


def due_at(source: Source) -> datetime | None:
    """When a source is next due by its recheck interval (the planner's rule): that long after
    its last good fetch, less RECHECK_EARLY; None when it has no good fetch at its current URL,
    so the next run fetches it."""
    if source.last_fetched_at is None:
        return None
    return source.last_fetched_at + timedelta(hours=source.recheck_hours) - RECHECK_EARLY


@dataclass(frozen=True)
class SourceState:
    """How a source's last fetch at its current URL went, and when it is next due."""

    last_status: int | None = None  # HTTP status of the last fetch (None: no response)
    last_error: str | None = None  # "error_code: message" when the last fetch failed
    last_good_fetch_at: datetime | None = None
    next_due_at: datetime | None = None  # None: due at the next run


FEW_SOURCES = 500  # up to this many, states are read for them alone; beyond, for every source


def source_states(*, session: Session, sources: Sequence[Source]) -> dict[int, SourceState]:
    """Each source's state, by id, in one query for them all: its newest evidence row (every
    row of one fetch shares the status and a fetch error). That fetch failed when the row has
    an error and is newer than the last good fetch; a good fetch sets `last_fetched_at` to its
    own time, so a rule that found nothing on a good page is not a failed fetch.

    A long list groups the whole evidence table once (one scan; a list of ids in the query
    would cost PostgreSQL more than it saves: benchmarks/source_list.py)."""
    ids = [s.id for s in sources if s.id is not None]
    table = Evidence.__table__  # type: ignore[attr-defined]
    newest = sa.select(sa.func.max(table.c.id)).group_by(table.c.source_id)
    if len(ids) <= FEW_SOURCES:
        newest = newest.where(table.c.source_id.in_(ids))
    query = sa.select(
        table.c.source_id,
        table.c.url,
        table.c.http_status,
        table.c.error_code,
        table.c.error_message,
        table.c.fetched_at,
    ).where(table.c.id.in_(newest.scalar_subquery()))
    rows = {r.source_id: r for r in session.connection().execute(query)} if ids else {}
    return {s.id or 0: _source_state(s, rows.get(s.id)) for s in sources}


# Rows recorded before failed fetches kept their status have none; an HTTP error names it in
# its message, as fetching.fetcher writes it ("HTTP 503 from <url>").
_HTTP_ERROR = re.compile(r"HTTP (\d{3}) from ")


def _source_state(source: Source, row: Any) -> SourceState:
    good = source.last_fetched_at
    if row is None or row.url not in (None, source.url):  # none, or of the page it had before
        return SourceState(last_good_fetch_at=good, next_due_at=due_at(source))
    failed = row.error_code is not None and (good is None or row.fetched_at > good)
    status = row.http_status
    if status is None and row.error_code == ErrorCode.HTTP_STATUS:
        said = _HTTP_ERROR.match(row.error_message or "")
        status = int(said.group(1)) if said else None
    return SourceState(
        last_status=status,
        last_error=f"{row.error_code}: {row.error_message}" if failed else None,
        last_good_fetch_at=good,
        next_due_at=due_at(source),
    )
