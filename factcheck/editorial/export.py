"""CSV exports for editors: claims, evidence, verdicts and changes, streamed from the database.

Every export reads in batches (`yield_per`, a server-side cursor on PostgreSQL; keyset pages for
claims), so memory stays flat whatever the number of rows. Cells follow `csvsafe`: text guarded
against formulas, numbers plain, timestamps UTC ISO 8601. Files are RFC 4180 (comma, `"`
quoting, CRLF) in UTF-8, with a BOM unless asked not to (Excel needs it to read Chinese).
The columns are documented here and in the README.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.declarations.claim_fields import CLAIM_FIELDS
from factcheck.domain import VerdictAction
from factcheck.editorial import csvsafe
from factcheck.editorial.columns import (
    CHANGE_COLUMNS,
    CLAIM_COLUMNS,
    COLUMNS,
    EDITABLE,
    EVIDENCE_COLUMNS,
    VERDICT_COLUMNS,
    Column,
)
from factcheck.errors import ValidationError
from factcheck.storage import catalog, runs, verdicts
from factcheck.storage.models import Claim, ClaimSource, ClaimTag, Evidence, Source, Verdict
from factcheck.storage.records import claim_entry

BATCH_ROWS = 5_000  # rows fetched per round trip when streaming
CLAIM_BATCH = 500  # claims per keyset page (each page runs a few bulk queries)
KINDS = ("claims", "evidence", "verdicts", "changes")
__all__ = [
    "CHANGE_COLUMNS",
    "CLAIM_COLUMNS",
    "COLUMNS",
    "EDITABLE",
    "EVIDENCE_COLUMNS",
    "KINDS",
    "VERDICT_COLUMNS",
    "Column",
    "Filters",
    "export_csv",
    "format_row",
    "write_csv",
]


@dataclass(frozen=True)
class Filters:
    """`since` bounds row times (claims: changed, judged or checked since); `tag` and `status`
    select claims; `label` is the standing label (claims, evidence) or the row's own (verdicts:
    its label; changes: the new label)."""

    since: datetime | None = None
    tag: str | None = None
    label: str | None = None
    status: str | None = None


def format_cell(kind: str, value: Any) -> str:
    if kind == "text":
        return csvsafe.guard(value) if value else ""
    if kind == "number":
        return csvsafe.number_cell(value)
    if kind == "number_or_text":
        return csvsafe.number_or_text_cell(value)
    if kind == "timestamp":
        return csvsafe.timestamp_cell(value)
    if kind == "date":
        return csvsafe.date_cell(value)
    if kind == "bool":
        return csvsafe.bool_cell(value)
    raise ValueError(f"unknown column kind {kind!r}")


def format_row(columns: Sequence[Column], values: Sequence[Any]) -> list[str]:
    return [format_cell(c.kind, v) for c, v in zip(columns, values, strict=True)]


def write_csv(
    out: TextIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, bom: bool = True
) -> int:
    """Write a header and the (already formatted) rows; `out` must be opened with newline=""."""
    if bom:
        out.write(csvsafe.BOM)
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    counted = _Counted(rows)
    writer.writerows(counted)
    return counted.count


class _Counted:
    """An iterable that counts what passes through it (writerows stays in C)."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self.rows = iter(rows)
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self.rows:
            self.count += 1
            yield row


def export_csv(
    kind: str,
    *,
    session: Session,
    out: TextIO,
    settings: Settings,
    now: datetime,
    filters: Filters = Filters(),
    bom: bool = True,
) -> int:
    """Stream one export into `out`; returns the number of data rows."""
    if kind == "claims":
        rows: Iterable[Sequence[Any]] = claim_rows(
            session=session, filters=filters, settings=settings, now=now
        )
    elif kind == "evidence":
        rows = evidence_rows(session=session, filters=filters)
    elif kind == "verdicts":
        rows = verdict_rows(session=session, filters=filters)
    elif kind == "changes":
        rows = change_rows(session=session, filters=filters)
    else:
        raise ValidationError(f"unknown export {kind!r}: choose {', '.join(KINDS)}")
    return write_csv(out, COLUMNS[kind], rows, bom=bom)


# -- helpers --------------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _bytewise(column: Any, dialect: str) -> Any:
    """Order text by code point on both backends (PostgreSQL's default collation does not)."""
    return column.collate("C") if dialect == "postgresql" else column


def iso_utc(column: Any, dialect: str) -> ColumnElement[Any]:
    """A timestamp formatted in the database as UTC ISO 8601 (the hot path skips Python)."""
    if dialect == "postgresql":
        return sa.func.to_char(
            sa.func.timezone("UTC", column), sa.literal_column("""'YYYY-MM-DD"T"HH24:MI:SS"Z"'""")
        )
    return sa.func.strftime("%Y-%m-%dT%H:%M:%SZ", column)


def sql_guard(column: Any) -> ColumnElement[Any]:
    """`csvsafe.guard` in SQL, so that the big exports write rows straight from the cursor.

    Same rule: a leading apostrophe when the text, after any apostrophes, starts with a
    dangerous character. (tests/integration/test_export.py checks both agree.)
    """
    risky = sorted(csvsafe.DANGEROUS_FIRST | {csvsafe.GUARD})
    first = sa.func.substr(sa.func.ltrim(column, csvsafe.GUARD), 1, 1)
    guarded = sa.literal(csvsafe.GUARD, sa.Text) + column
    return sa.case(
        (sa.func.substr(column, 1, 1).not_in(risky), column),  # the common case, one test
        (first.in_(sorted(csvsafe.DANGEROUS_FIRST)), guarded),
        else_=column,
    )


def sql_number_guard(column: Any, dialect: str) -> ColumnElement[Any]:
    """A numeric text column: a plain decimal (digits, dots, a leading minus) as is, anything
    else guarded like text. Figures are stored as canonical decimals, so this never fires on
    good data; it is the belt to the braces."""
    if dialect == "postgresql":
        plain: ColumnElement[bool] = column.op("~", is_comparison=True)("^-?[0-9.]*$")
    else:
        digits = sa.not_(column.op("GLOB", is_comparison=True)("*[^0-9.]*"))
        tail = sa.not_(sa.func.substr(column, 2).op("GLOB", is_comparison=True)("*[^0-9.]*"))
        plain = sa.or_(digits, sa.and_(column.op("GLOB", is_comparison=True)("-*"), tail))
    return sa.case((plain, column), else_=sql_guard(column))


def _claim_ids_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on a claim id column for the tag and status filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.tag:
        conditions.append(
            col(Claim.id).in_(select(ClaimTag.claim_id).where(ClaimTag.tag == filters.tag))
        )
    if filters.status:
        conditions.append(col(Claim.status) == filters.status)
    return conditions


def _labelled_claims(session: Session, label: str) -> list[int]:
    standing = verdicts.effective_verdicts(session=session)
    if label == "none":
        every = session.exec(select(Claim.id)).all()
        return [i for i in every if i is not None and i not in standing]
    return [cid for cid, v in standing.items() if v.label == label]


def _stream(session: Session, statement: Any) -> Iterator[Any]:
    result = session.connection().execute(statement.execution_options(yield_per=BATCH_ROWS))
    yield from result


# -- evidence: the big one, formatted mostly in SQL -----------------------------------------


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
    for condition in _claim_ids_where(filters):
        query = query.where(condition)
    if claim_ids is not None:
        query = query.where(ev.c.claim_id.in_(claim_ids))
    return query


def evidence_rows(*, session: Session, filters: Filters) -> Iterator[Sequence[Any]]:
    """Rows as the database formatted them: no Python work per cell."""
    ids = _labelled_claims(session, filters.label) if filters.label else None
    statement = evidence_statement(dialect=_dialect(session), filters=filters, claim_ids=ids)
    return _stream(session, statement)


# -- verdicts and changes -------------------------------------------------------------------


def _verdict_statement(filters: Filters) -> Any:
    query = (
        sa.select(
            col(Verdict.id),
            col(Claim.key),
            col(Verdict.created_at),
            col(Verdict.set_by),
            col(Verdict.action),
            col(Verdict.editor),
            col(Verdict.label),
            col(Verdict.confidence),
            col(Verdict.reason),
            col(Verdict.note),
            col(Verdict.run_id),
            col(Verdict.figures),
            col(Verdict.claim_id),
        )
        .join(Claim, col(Claim.id) == Verdict.claim_id)
        .order_by(col(Verdict.id))
    )
    for condition in _claim_ids_where(filters):
        query = query.where(condition)
    return query


def verdict_rows(*, session: Session, filters: Filters) -> Iterator[list[str]]:
    query = _verdict_statement(filters)
    if filters.since is not None:
        query = query.where(col(Verdict.created_at) >= filters.since)
    if filters.label:
        query = query.where(col(Verdict.label) == filters.label)
    for v in _stream(session, query):
        figures = json.dumps(v.figures or {}, ensure_ascii=False, sort_keys=True)
        yield format_row(
            VERDICT_COLUMNS,
            (
                v.id,
                v.key,
                v.created_at,
                v.set_by,
                v.action,
                v.editor,
                v.label,
                v.confidence,
                v.reason,
                v.note,
                v.run_id,
                figures,
            ),
        )


def change_rows(*, session: Session, filters: Filters) -> Iterator[list[str]]:
    """Replay each claim's verdicts in order; a row whenever the standing label changes.

    Same rule as `verdicts.effective_verdicts`: an editor's override stands until lifted. The
    state kept is one pair of labels per claim, whatever the number of verdicts.
    """
    system: dict[int, str] = {}
    override: dict[int, str | None] = {}
    for v in _stream(session, _verdict_statement(filters)):
        cid = v.claim_id
        before = override.get(cid) or system.get(cid)
        if v.action == VerdictAction.JUDGED.value:
            system[cid] = v.label
        else:
            override[cid] = v.label if v.action == VerdictAction.OVERRIDE.value else None
        after = override.get(cid) or system.get(cid)
        if after == before:
            continue  # (a lift with no system verdict leaves no label: to_label is empty)
        if filters.since is not None and v.created_at < filters.since:
            continue
        if filters.label and after != filters.label:
            continue
        yield format_row(
            CHANGE_COLUMNS,
            (
                v.created_at,
                v.key,
                before,
                after,
                v.action,
                v.set_by,
                v.editor,
                v.confidence,
                v.reason,
                v.note,
                v.id,
                v.run_id,
            ),
        )


# -- claims: one row per claim with its standing verdict and best evidence ------------------


def claim_rows(
    *, session: Session, filters: Filters, settings: Settings, now: datetime
) -> Iterator[list[str]]:
    dialect = _dialect(session)
    stale_after = timedelta(days=settings.stale_after_days)
    last_key: str | None = None
    while True:
        query = select(Claim).order_by(_bytewise(col(Claim.key), dialect)).limit(CLAIM_BATCH)
        if last_key is not None:
            query = query.where(_bytewise(col(Claim.key), dialect) > last_key)
        for condition in _claim_ids_where(filters):
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
    ids = [c.id for c in claims if c.id is not None]
    tags = catalog.claim_tags(session=session, claim_ids=ids)
    standing = verdicts.effective_verdicts(session=session, claim_ids=ids)
    freshest = runs.freshest_evidence(session=session, claim_ids=ids)
    checked: dict[int, datetime] = {
        cid: at
        for cid, at in session.execute(
            sa.select(col(Evidence.claim_id), sa.func.max(col(Evidence.fetched_at)))
            .where(col(Evidence.claim_id).in_(ids))
            .group_by(col(Evidence.claim_id))
        )
    }
    links: dict[int, list[tuple[ClaimSource, Source]]] = {i: [] for i in ids}
    link_rows = session.exec(
        select(ClaimSource, Source)
        .join(Source, col(Source.id) == ClaimSource.source_id)
        .where(col(ClaimSource.claim_id).in_(ids))
        .order_by(col(Source.id), col(ClaimSource.id))
    )
    for link, source in link_rows:
        links[link.claim_id].append((link, source))
    for claim in claims:
        cid = claim.id or 0
        verdict = standing.get(cid)
        label = verdict.label if verdict else None
        if filters.label and (label or "none") != filters.label:
            continue
        good = freshest.get(cid, {})
        fetched = [kept.row.fetched_at for kept in good.values()]
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
                not fetched or now - max(fetched) > stale_after,  # the judge's staleness rule
                "\n".join(dict.fromkeys(source.url for _, source in links[cid])),
                best[0],
                best[1],
                claim.updated_at,
            ),
        )


def _claim_values(claim: Claim, tags: Sequence[str]) -> tuple[Any, ...]:
    """The claim's own cells, one per declared field (claim_fields), in the column order."""
    entry = claim_entry(claim, tags)
    expected = entry.get("expected")
    joined = {
        "expected": "; ".join(expected) if isinstance(expected, list) else expected,
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
