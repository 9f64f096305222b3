"""What the export queries share: the filters, batched streaming, and cells made in SQL.

Every export reads in batches (`yield_per`, a server-side cursor on PostgreSQL), so memory
stays flat whatever the number of rows; the big exports format and guard their cells in the
database (`sql_guard` is `csvsafe.guard` in SQL), so rows go from the cursor to the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from factcheck.editorial import csvsafe
from factcheck.storage import verdicts
from factcheck.storage.models import Claim, ClaimTag

BATCH_ROWS = 5_000  # rows fetched per round trip when streaming


@dataclass(frozen=True)
class Filters:
    """`since` bounds row times (claims: changed, judged or checked since); `tag` and `status`
    select claims; `label` is the standing label (claims, evidence) or the row's own (verdicts:
    its label; changes: the new label)."""

    since: datetime | None = None
    tag: str | None = None
    label: str | None = None
    status: str | None = None


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def bytewise(column: Any, dialect: str) -> Any:
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


def claim_ids_where(filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on a claim id column for the tag and status filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.tag:
        conditions.append(
            col(Claim.id).in_(select(ClaimTag.claim_id).where(ClaimTag.tag == filters.tag))
        )
    if filters.status:
        conditions.append(col(Claim.status) == filters.status)
    return conditions


def labelled_claims(session: Session, label: str) -> list[int]:
    standing = verdicts.effective_verdicts(session=session)
    if label == "none":
        every = session.exec(select(Claim.id)).all()
        return [i for i in every if i is not None and i not in standing]
    return [cid for cid, v in standing.items() if v.label == label]


def stream(session: Session, statement: Any) -> Iterator[Any]:
    result = session.connection().execute(statement.execution_options(yield_per=BATCH_ROWS))
    yield from result
