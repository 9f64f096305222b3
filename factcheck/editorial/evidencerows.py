"""The evidence export's queries: the big export, so the database formats its cells.

`evidence_statement` is the rows with cells formatted and guarded in SQL (any backend, and the
reference the fast paths are tested against); `copy_statement` is the same for PostgreSQL's
COPY (empty text as NULL, which COPY writes unquoted, as the csv module does); `line_statement`
is SQLite's: each row as one line of marked cells (`csvbatch`), so that Python handles one
value per row instead of eighteen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from factcheck.editorial import csvbatch, exportsql
from factcheck.editorial.exportsql import Filters, iso_utc, sql_guard, sql_number_guard
from factcheck.storage.models import Claim, Evidence, Source

# Each column's kind, in EVIDENCE_COLUMNS order: keys are slugs ([a-z0-9] first) and roles,
# stances, rule kinds and error codes are enum names, so neither can start a formula nor
# needs quoting ("plain"); only free text is guarded ("text"), and the figure as a number.
KINDS = (
    *("plain",) * 8,  # evidence_id run_id claim_key source_key role fetched_at status stance
    "number",  # value
    *("text",) * 3,  # unit raw excerpt
    "plain",  # rule_kind
    *("text",) * 2,  # rule final_url
    *("plain",) * 2,  # reused_from error_code
    "text",  # error_message
)
INTEGERS = frozenset({0, 1, 6, 15})  # evidence_id, run_id, http_status, reused_from
MARKS = {"plain": csvbatch.PLAIN, "number": csvbatch.NUMBER, "text": csvbatch.TEXT}


def _cells(dialect: str) -> tuple[list[Any], Any]:
    """The eighteen cells, unguarded, and the FROM clause they come from."""
    ev = sa.inspect(Evidence).local_table
    orig = ev.alias("orig")
    claim = sa.inspect(Claim).local_table
    source = sa.inspect(Source).local_table
    cells = [
        ev.c.id,
        ev.c.run_id,
        claim.c.key,
        source.c.key,
        ev.c.role,
        iso_utc(ev.c.fetched_at, dialect),
        ev.c.http_status,
        ev.c.stance,
        sa.func.coalesce(ev.c.value, orig.c.value),
        sa.func.coalesce(ev.c.unit, orig.c.unit),
        sa.func.coalesce(ev.c.raw, orig.c.raw),
        sa.func.coalesce(ev.c.excerpt, orig.c.excerpt),
        ev.c.rule_kind,
        ev.c.rule,
        sa.func.coalesce(ev.c.final_url, orig.c.final_url),
        ev.c.reused_from_id,
        ev.c.error_code,
        ev.c.error_message,
    ]
    joined = (
        ev.join(claim, claim.c.id == ev.c.claim_id)
        .join(source, source.c.id == ev.c.source_id)
        .outerjoin(orig, orig.c.id == ev.c.reused_from_id)
    )
    return cells, joined


def _select(
    columns: Sequence[Any], joined: Any, filters: Filters, claim_ids: list[int] | None
) -> Any:
    ev = sa.inspect(Evidence).local_table
    query = sa.select(*columns).select_from(joined).order_by(ev.c.id)
    if filters.since is not None:
        query = query.where(ev.c.fetched_at >= filters.since)
    for condition in exportsql.claim_ids_where(filters):
        query = query.where(condition)
    if claim_ids is not None:
        query = query.where(ev.c.claim_id.in_(claim_ids))
    return query


def _guarded(dialect: str) -> tuple[list[Any], Any]:
    cells, joined = _cells(dialect)
    guards: dict[str, Callable[[Any], Any]] = {
        "plain": lambda c: c,
        "number": lambda c: sql_number_guard(c, dialect),
        "text": sql_guard,
    }
    return [guards[kind](cell) for kind, cell in zip(KINDS, cells, strict=True)], joined


def evidence_statement(
    *, dialect: str, filters: Filters, claim_ids: list[int] | None, guard: bool = True
) -> Any:
    """The evidence export as one query, cells formatted and guarded by the database.

    `guard=False` gives the same rows unguarded (the benchmark's baseline for the shells).
    """
    cells, joined = _guarded(dialect) if guard else _cells(dialect)
    return _select(cells, joined, filters, claim_ids)


def copy_statement(*, filters: Filters, claim_ids: list[int] | None) -> Any:
    """PostgreSQL's rows for `COPY ... TO STDOUT WITH CSV`: guarded in SQL like
    `evidence_statement`, an empty text as NULL (COPY quotes "" but not NULL; the csv module
    writes both as nothing)."""
    cells, joined = _guarded("postgresql")
    texts = [cell if i in INTEGERS else sa.func.nullif(cell, "") for i, cell in enumerate(cells)]
    return _select(texts, joined, filters, claim_ids)


def line_statement(*, filters: Filters, claim_ids: list[int] | None) -> Any:
    """SQLite's rows as one BLOB each: the unguarded cells joined by `csvbatch` marks (bytes
    that never occur in UTF-8) by one printf, for `csvbatch.finish` to guard and quote.
    (printf's %s ends a text at a NUL: stored text has none, records.clean_text replaces it,
    as PostgreSQL refuses it.)"""
    cells, joined = _cells("sqlite")
    layout = b"".join((MARKS[kind] if i else b"") + b"%s" for i, kind in enumerate(KINDS))
    # the format is bytes that are not UTF-8: bound as a BLOB, read as TEXT by printf
    fmt = sa.cast(sa.literal(layout, sa.LargeBinary), sa.Text)
    line = sa.cast(sa.func.printf(fmt, *cells, type_=sa.Text), sa.LargeBinary)
    return _select([line], joined, filters, claim_ids)


def labelled_ids(session: Session, filters: Filters) -> list[int] | None:
    """The claims of the standing-label filter (None: no such filter)."""
    return exportsql.labelled_claims(session, filters.label) if filters.label else None


def evidence_rows(*, session: Session, filters: Filters) -> Iterator[Sequence[Any]]:
    """Rows as the database formatted them: no Python work per cell."""
    statement = evidence_statement(
        dialect=exportsql.dialect_of(session),
        filters=filters,
        claim_ids=labelled_ids(session, filters),
    )
    return exportsql.stream(session, statement)
