"""The CSV writer of the exports: cells formatted by kind, RFC 4180 rows, an optional BOM.

Cells follow `csvsafe`: text guarded against formulas, numbers plain, timestamps UTC ISO 8601.
Files are RFC 4180 (comma, `"` quoting, CRLF) in UTF-8, with a BOM unless asked not to (Excel
needs it to read Chinese).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from factcheck.editorial import csvsafe
from factcheck.editorial.columns import Column


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


def write_header(out: TextIO, columns: Sequence[Column], *, bom: bool = True) -> None:
    """The BOM (unless not wanted) and the header row; `out` must be opened with newline=""."""
    if bom:
        out.write(csvsafe.BOM)
    csv.writer(out, dialect="excel", lineterminator="\r\n").writerow([c.name for c in columns])


def write_csv(
    out: TextIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, bom: bool = True
) -> int:
    """Write a header and the (already formatted) rows; `out` must be opened with newline=""."""
    write_header(out, columns, bom=bom)
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
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
