"""Spreadsheet-safe CSV cells: the OWASP formula guard and the cell formats of every export.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` as a formula, and some also
after a tab, CR or LF; some (Excel with an East Asian input method) also take the full-width
forms `＝ ＋ － ＠` as the ASCII ones. Scraped text can begin that way on purpose
(`=HYPERLINK(...)`), so every *text* cell that does is written with one leading apostrophe,
which makes it plain text. Numeric columns are written as plain numbers (a negative number
stays a number): a cell of a numeric column that is not a plain decimal number is guarded
like text.

The guard is reversible, so that an edited export can be imported back exactly: a cell that
begins with apostrophes followed by a dangerous character gets one more apostrophe, and
`unguard` removes exactly that one.

    >>> guard("=1+1"), guard("-5%"), guard("'=x"), guard("it's"), guard("'quoted'")
    ("'=1+1", "'-5%", "''=x", "it's", "'quoted'")
    >>> unguard(guard("''=x")) == "''=x"
    True
    >>> number_cell("-0.5"), number_cell("-1+2"), guard("＝1+1")
    ('-0.5', "'-1+2", "'＝1+1")
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

DANGEROUS_FIRST = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")  # with ＝ ＋ － ＠
GUARD = "'"
_CHECK_FIRST = DANGEROUS_FIRST | {GUARD}
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
BOM = "\ufeff"
# The largest cell `import-csv` reads (csv.field_size_limit, in characters). Every editable
# field is at most fields.MAX_LONG_TEXT_CHARS (1,000,000), plus a guard apostrophe; the other
# cells of a claims export (the sources, the reason, the excerpt) are read too and fit in this
# bound unless a claim has thousands of sources. A bound, so a hostile file cannot make one
# cell take all memory.
MAX_CELL_CHARS = 16 * 1024 * 1024


def needs_guard(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula (apostrophes aside)."""
    return text.lstrip(GUARD)[:1] in DANGEROUS_FIRST


def guard(text: str) -> str:
    """A text cell as written: with one leading apostrophe when it could run as a formula."""
    if text and text[0] in _CHECK_FIRST and needs_guard(text):
        return GUARD + text
    return text


def unguard(text: str) -> str:
    """The text that `guard` was given: the exact inverse, for importing an edited export."""
    if text[:1] == GUARD and needs_guard(text[1:]):
        return text[1:]
    return text


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


def number_cell(value: Any) -> str:
    """A numeric cell: a plain number as is; anything else guarded like text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number cell")
    text = str(value)
    return text if is_number(text) else guard(text)


def number_or_text_cell(value: Any) -> str:
    """A column that holds numbers for some rows and text for others (a claim's `expected`)."""
    if value is None:
        return ""
    text = str(value)
    return text if is_number(text) else guard(text)


def bool_cell(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def timestamp_cell(value: datetime | None) -> str:
    """UTC ISO 8601 to the second: 2024-07-23T12:00:00Z."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC cell")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_cell(value: date | None) -> str:
    return "" if value is None else value.isoformat()
