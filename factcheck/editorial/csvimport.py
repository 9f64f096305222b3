"""`import-csv`: bring an edited claims export back.

Every row is validated before anything is written, with the same validators as `factcheck
import` (a row becomes the claim's TOML-shaped entry, then `validate_claim`); errors name the
row (the spreadsheet's row number: the header is row 1) and the column. Only the claim's own
columns are read (`claim_fields.EDITABLE_FIELDS`, by header name, in any order); the verdict
columns are the export's and are ignored.
A row equal to the stored claim is left alone, so export -> import -> export is byte-identical.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from sqlmodel import Session, col, select

from factcheck.declarations.claim_fields import EDITABLE_FIELDS
from factcheck.declarations.inputs import ClaimInput, validate_claim
from factcheck.editorial import csvsafe
from factcheck.editorial.columns import CLAIM_COLUMNS, EDITABLE
from factcheck.errors import ValidationError
from factcheck.storage import catalog
from factcheck.storage.models import Claim

MAX_ERRORS_SHOWN = 10
_FIELD_ERROR = re.compile(r"^field '([^']+)': (.*)$", re.DOTALL)


@dataclass
class CsvImportReport:
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@contextmanager
def _cell_limit(limit: int) -> Iterator[None]:
    """csv.field_size_limit is process-wide: raised for this read only, then put back."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def read_rows(handle: TextIO) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and (spreadsheet row number, cells) of each record.

    Rows are counted as a spreadsheet shows them: the header is row 1 and a record is one row
    however many lines its quoted cells span. Cells up to csvsafe.MAX_CELL_CHARS are read.
    """
    with _cell_limit(csvsafe.MAX_CELL_CHARS):
        return _read_rows(handle)


def _read_rows(handle: TextIO) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    reader = csv.reader(handle, dialect="excel")
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError("the file is empty: expected a header row") from None
    except csv.Error as exc:
        raise ValidationError(f"row 1: not CSV: {exc}") from None
    if header and header[0].startswith(csvsafe.BOM):  # a BOM the opener did not strip
        header[0] = header[0][1:]
    known = {c.name for c in CLAIM_COLUMNS}
    for name in header:
        if name not in known:
            raise ValidationError(f"row 1, column {name!r}: unknown column")
    missing = [name for name in EDITABLE if name not in header]
    if missing:
        raise ValidationError(f"row 1: column {missing[0]!r} is missing")
    rows = []
    number = 1  # the row last read
    try:
        for cells in reader:
            number += 1
            if not any(cells):
                continue
            if len(cells) != len(header):
                raise ValidationError(
                    f"row {number}: {len(cells)} cells, the header has {len(header)}"
                )
            rows.append((number, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:  # raised while reading the next row, before it was counted
        raise ValidationError(
            f"row {number + 1} (line {reader.line_num}): not CSV: {exc}"
        ) from None
    return header, rows


def row_entry(cells: Mapping[str, str]) -> dict[str, Any]:
    """A row as the TOML-shaped entry `validate_claim` reads (see records.claim_entry).

    Cells are taken by column name, whatever the column order; an empty cell of a field that
    `blank_unsets` is left out of the entry (its default applies).
    """
    values = {f.name: csvsafe.unguard(cells[f.name]) for f in EDITABLE_FIELDS}
    entry: dict[str, Any] = {}
    for claim_field in EDITABLE_FIELDS:
        name, text = claim_field.name, values[claim_field.name]
        if name == "tags":
            entry["tags"] = [t.strip() for t in text.split(",") if t.strip()]
        elif claim_field.blank_unsets and text == "":
            continue
        elif name == "expected" and _listed(values):
            entry["expected"] = [a.strip() for a in text.split(";") if a.strip()]
        elif name == "where":
            entry["where"] = [c.strip() for c in text.split(";") if c.strip()]
        else:
            entry[name] = text
    return entry


def _listed(values: Mapping[str, str]) -> bool:
    """Whether the expected cell holds several values ('; '-separated): a set, or the two ends
    of a between."""
    kind = values["inner_kind"] or values["kind"]
    return kind == "quantity_set" or (values["relation"] == "between" and ";" in values["expected"])


def _located(number: int, exc: ValidationError) -> str:
    match = _FIELD_ERROR.match(str(exc))
    if match:
        return f"row {number}, column {match.group(1)!r}: {match.group(2)}"
    return f"row {number}: {exc}"


def validate_rows(
    *, session: Session, rows: Iterable[tuple[int, Mapping[str, str]]]
) -> list[tuple[Claim, ClaimInput]]:
    """Every row checked; one ValidationError listing the first errors if any row is wrong."""
    rows = list(rows)
    keys = [csvsafe.unguard(cells["key"]) for _, cells in rows]
    stored = {c.key: c for c in session.exec(select(Claim).where(col(Claim.key).in_(keys)))}
    errors: list[str] = []
    seen: dict[str, int] = {}
    checked: list[tuple[Claim, ClaimInput]] = []
    for (number, cells), key in zip(rows, keys, strict=True):
        if key in seen:
            errors.append(f"row {number}, column 'key': {key!r} is also on row {seen[key]}")
            continue
        seen[key] = number
        claim = stored.get(key)
        if claim is None:
            errors.append(
                f"row {number}, column 'key': no claim {key!r} (import-csv edits existing "
                "claims; add new ones with `factcheck import` or `factcheck claim add`)"
            )
            continue
        try:
            checked.append((claim, validate_claim(row_entry(cells))))
        except ValidationError as exc:
            errors.append(_located(number, exc))
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = f" (and {len(errors) - MAX_ERRORS_SHOWN} more)" if len(errors) > 10 else ""
        raise ValidationError(f"{len(errors)} error(s), nothing imported: {shown}{more}") from None
    return checked


def import_claims_csv(*, session: Session, handle: TextIO, now: datetime) -> CsvImportReport:
    """Validate the whole file, then update the claims whose row differs (links untouched)."""
    _, rows = read_rows(handle)
    report = CsvImportReport()
    for claim, spec in validate_rows(session=session, rows=rows):
        if catalog.update_claim(session=session, claim=claim, spec=spec, now=now):
            report.updated.append(claim.key)
        else:
            report.unchanged.append(claim.key)
    return report
