"""CSV exports for editors: claims, evidence, verdicts and changes, streamed from the database.

One module per job: `csvwriter` writes the file (cells by kind, RFC 4180, the BOM),
`exportsql` holds what the queries share (filters, streaming, cells formatted in SQL), and
`claimrows`, `evidencerows` and `verdictrows` make each export's rows; the evidence export,
the big one, is written by `evidencecsv` (the database's own CSV, or `csvbatch`). Every export
reads in batches, so memory stays flat whatever the number of rows. The columns are documented
in `columns` and in the README. Each export imports only its own modules (claims need the
catalog and the verdict rules; evidence needs neither), so a command starts faster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlmodel import Session

from factcheck.config import Settings
from factcheck.editorial.columns import (
    CHANGE_COLUMNS,
    CLAIM_COLUMNS,
    COLUMNS,
    EDITABLE,
    EVIDENCE_COLUMNS,
    VERDICT_COLUMNS,
    Column,
)
from factcheck.editorial.csvwriter import format_cell, format_row, write_csv
from factcheck.editorial.evidencerows import evidence_rows, evidence_statement
from factcheck.editorial.exportsql import Filters, iso_utc, sql_guard, sql_number_guard
from factcheck.errors import ValidationError

KINDS = ("claims", "evidence", "verdicts", "changes")
NO_FILTERS = Filters()
ROWS_PER_TICK = 1000  # how often `on_rows` hears of progress
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
    "evidence_rows",
    "evidence_statement",
    "export_csv",
    "format_cell",
    "format_row",
    "iso_utc",
    "sql_guard",
    "sql_number_guard",
    "write_csv",
]


def export_csv(
    kind: str,
    *,
    session: Session,
    out: TextIO,
    settings: Settings,
    now: datetime,
    filters: Filters = NO_FILTERS,
    bom: bool = True,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Stream one export into `out`; returns the number of data rows. `on_rows(n)` hears of
    every ROWS_PER_TICK rows written (the evidence export: every batch), and of the rest at
    the end (a progress bar)."""
    if kind == "evidence":
        from factcheck.editorial.evidencecsv import write_evidence

        return write_evidence(
            out, session=session, filters=filters, bom=bom, on_rows=on_rows or _ignore
        )
    if kind == "claims":
        from factcheck.editorial.claimrows import claim_rows

        rows: Iterable[Sequence[Any]] = claim_rows(
            session=session, filters=filters, settings=settings, now=now
        )
    elif kind in ("verdicts", "changes"):
        from factcheck.editorial.verdictrows import change_rows, verdict_rows

        making = verdict_rows if kind == "verdicts" else change_rows
        rows = making(session=session, filters=filters)
    else:
        raise ValidationError(f"unknown export {kind!r}: choose {', '.join(KINDS)}")
    if on_rows is not None:
        rows = _ticking(rows, on_rows)
    return write_csv(out, COLUMNS[kind], rows, bom=bom)


def _ignore(_count: int) -> None:
    """No progress wanted."""


def _ticking(
    rows: Iterable[Sequence[Any]], on_rows: Callable[[int], None]
) -> Iterator[Sequence[Any]]:
    """The rows, telling `on_rows` how many went by every ROWS_PER_TICK and at the end.

    >>> heard = []
    >>> len(list(_ticking(range(2500), heard.append))), heard
    (2500, [1000, 1000, 500])
    """
    count = 0
    for row in rows:
        yield row
        count += 1
        if count == ROWS_PER_TICK:
            on_rows(count)
            count = 0
    if count:
        on_rows(count)
