r"""The formula guard and RFC 4180 quoting on a whole batch of rows at once, in bytes.

SQLite writes each evidence row as one UTF-8 line whose cells are separated by marks, bytes
that never occur in UTF-8 (so no cell can contain one): TEXT before a text cell, NUMBER before
the figure, PLAIN before a cell that needs neither guard nor quotes, ROW between rows. Python
then makes CSV of 5,000 rows with a handful of whole-buffer operations (regular expressions
and byte searches in C) instead of work per cell, which is what costs in Python.

The result is byte for byte what `csv.writer` makes of the rows guarded by `csvsafe.guard` /
`exportsql.sql_number_guard` (tests/integration/test_export_fast.py checks it):

    >>> finish(b"1" + PLAIN + b"k" + NUMBER + b"-0.5" + TEXT + b"=1+1" + ROW
    ...        + b"2" + PLAIN + b"k" + NUMBER + b"-1+2" + TEXT + b'a "b", c').decode()
    '1,k,-0.5,\'=1+1\r\n2,k,\'-1+2,"a ""b"", c"\r\n'
"""

from __future__ import annotations

import re

TEXT = b"\xf8"
NUMBER = b"\xf9"
PLAIN = b"\xfa"
ROW = b"\xfe"

# csvsafe.DANGEROUS_FIRST in UTF-8: = + - @ tab CR LF and the full-width ＋ － ＝ ＠
_DANGER = rb"(?:[=+\-@\t\r\n]|\xef\xbc[\x8b\x8d\x9d\xa0])"
# a text cell that, after any apostrophes, starts with a dangerous character
_TEXT_GUARD = re.compile(TEXT + rb"(?='*+" + _DANGER + rb")")
# the figure: the same, unless it is a plain decimal (-?[0-9.]*, as in sql_number_guard)
_NUMBER_GUARD = re.compile(NUMBER + rb"(?!-?[0-9.]*+(?:[\xf8-\xfe]|\Z))(?='*+" + _DANGER + rb")")
# a search copy of the batch: 1 for what makes a cell need quotes, 31 for every mark
_FIND = bytearray(256)
for _byte in b',"\r\n':
    _FIND[_byte] = 1
for _byte in TEXT + NUMBER + PLAIN + ROW:
    _FIND[_byte] = 31
_FIND_TABLE = bytes(_FIND)
QUOTABLE, MARK = 1, 31


def finish(batch: bytes) -> bytes:
    """Marked rows -> CSV rows (comma, CRLF after each row, quotes as `csv.writer`)."""
    batch = _NUMBER_GUARD.sub(NUMBER + b"'", batch)
    batch = _TEXT_GUARD.sub(TEXT + b"'", batch)
    batch = _quote(batch)
    for mark in (TEXT, NUMBER, PLAIN):
        batch = batch.replace(mark, b",")
    return batch.replace(ROW, b"\r\n") + b"\r\n"


def _quote(batch: bytes) -> bytes:
    """Cells holding a comma, a quote, CR or LF in quotes, their quotes doubled. Found by byte
    searches in a copy where every mark is one byte value, so a cell's bounds are a find away;
    the Python work is per quoted cell, not per cell."""
    marks = batch.translate(_FIND_TABLE)
    find, rfind = marks.find, marks.rfind
    at = find(QUOTABLE)
    if at < 0:
        return batch
    parts: list[bytes] = []
    done = 0
    while at >= 0:
        start = rfind(MARK, 0, at) + 1
        end = find(MARK, at)
        if end < 0:
            end = len(batch)
        parts.append(batch[done:start])
        parts.append(b'"' + batch[start:end].replace(b'"', b'""') + b'"')
        done = end
        at = find(QUOTABLE, end)
    parts.append(batch[done:])
    return b"".join(parts)
