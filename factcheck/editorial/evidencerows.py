"""The evidence export: the big one, one query whose cells the database formats and guards."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from factcheck.editorial import exportsql
from factcheck.editorial.exportsql import Filters, iso_utc, sql_guard, sql_number_guard
from factcheck.storage.models import Claim, Evidence, Source


def evidence_statement(
    *, dialect: str, filters: Filters, claim_ids: list[int] | None, guard: bool = True
) -> Any:
    """The evidence export as one query, cells formatted and guarded by the database.

    `guard=False` gives the same rows unguarded (the benchmark's baseline for the shells).
    """
    text = sql_guard if guard else (lambda column: column)
    number = (lambda c: sql_number_guard(c, dialect)) if guard else (lambda column: column)
    ev = sa.inspect(Evidence).local_table
    orig = ev.alias("orig")
    claim = sa.inspect(Claim).local_table
    source = sa.inspect(Source).local_table
    query = (
        sa.select(
            ev.c.id,
            ev.c.run_id,
            claim.c.key,  # keys are slugs ([a-z0-9] first) and roles, stances, rule kinds and
            source.c.key,  # error codes are enum names: none can start a formula, so only
            ev.c.role,  # free text is guarded
            iso_utc(ev.c.fetched_at, dialect),
            ev.c.http_status,
            ev.c.stance,
            number(sa.func.coalesce(ev.c.value, orig.c.value)),
            text(sa.func.coalesce(ev.c.unit, orig.c.unit)),
            text(sa.func.coalesce(ev.c.raw, orig.c.raw)),
            text(sa.func.coalesce(ev.c.excerpt, orig.c.excerpt)),
            ev.c.rule_kind,
            text(ev.c.rule),
            text(sa.func.coalesce(ev.c.final_url, orig.c.final_url)),
            ev.c.reused_from_id,
            ev.c.error_code,
            text(ev.c.error_message),
        )
        .select_from(ev)
        .join(claim, claim.c.id == ev.c.claim_id)
        .join(source, source.c.id == ev.c.source_id)
        .outerjoin(orig, orig.c.id == ev.c.reused_from_id)
        .order_by(ev.c.id)
    )
    if filters.since is not None:
        query = query.where(ev.c.fetched_at >= filters.since)
    for condition in exportsql.claim_ids_where(filters):
        query = query.where(condition)
    if claim_ids is not None:
        query = query.where(ev.c.claim_id.in_(claim_ids))
    return query


def evidence_rows(*, session: Session, filters: Filters) -> Iterator[Sequence[Any]]:
    """Rows as the database formatted them: no Python work per cell."""
    ids = exportsql.labelled_claims(session, filters.label) if filters.label else None
    statement = evidence_statement(
        dialect=exportsql.dialect_of(session), filters=filters, claim_ids=ids
    )
    return exportsql.stream(session, statement)
