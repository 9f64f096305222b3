"""Tables from HTML, Markdown and CSV as plain grids of text, and the `table` rule over them.

A `Table` is a header row and body rows of whitespace-collapsed cell text.

HTML: the header is the last row of the table's own <thead> when it has one, else its first
row (<th> or <td>, so model cards that bold <td> headers work). rowspan and colspan are
expanded: a spanned cell's text is copied into every position it covers, so columns line up
in tables such as the Llama model card (a rowspan'd family name, then the size). Rows of
nested tables belong to the nested table only.

Markdown: GitHub pipe tables (a header line, then a |---|:--:| delimiter line, then rows
while lines contain a pipe); "\\|" is a literal pipe; fenced code blocks are skipped; a cell
wholly wrapped in ** or ` loses the wrapping.

CSV: the first row is the header.

Rule options:
    column        header text of the cell to read (required); case-insensitive, whitespace
                  collapsed
    row           row label, i.e. the first cell of the row: exact after whitespace collapse
    row_contains  instead of `row`: the label contains this text, case-insensitively
    where         {header: value}: keep rows whose cell under each header equals the value
                  (case-insensitive, whitespace collapsed); several entries must all hold
Every row that passes gives a hit (empty cells are skipped); Hit.key is its row label.
Rows are numbered from 1 after the header: "table[0] row 3 column 'Params'".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from factcheck.domain import Hit
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.limits import HitCollector
from factcheck.extraction.snippets import collapse, excerpt

OPTIONS = frozenset({"column", "row", "row_contains", "where"})
_MAX_SPAN = 1000  # a rowspan/colspan above this is treated as this (guards against blow-ups)
# Spans still multiply: 20,000 cells of colspan=1000 (a 460 KB page) are 20 million positions.
MAX_TABLE_CELLS = 1_000_000  # positions of one table after spans; more is a parse_error
_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_PIPE = re.compile(r"(?<!\\)\|")
_TABLE_TAG = re.compile(r"<table\b|</table\s*>", re.IGNORECASE)  # linear, unlike <table.*?</table>
_FENCE = re.compile(r"^\s*(```|~~~)")
_WRAPPED = re.compile(r"^(\*\*|__|`)(.+)\1$")


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def html_table(element: etree._Element) -> Table:
    """The grid of one <table> element, spans expanded."""
    trs = element.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    grid = _expand_spans(trs)
    head = [i for i, tr in enumerate(trs) if tr.getparent().tag == "thead"]
    header_at = head[-1] if head else 0
    body = [row for i, row in enumerate(grid) if i != header_at and i not in head]
    header = grid[header_at] if grid else ()
    return Table(tuple(header), tuple(tuple(row) for row in body))


def markdown_tables(text: str) -> list[tuple[int, Table]]:
    """Every pipe table in Markdown text, with the character offset where it starts."""
    found: list[tuple[int, Table]] = []
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
        elif (
            not in_fence
            and "|" in line
            and i + 1 < len(lines)
            and "-" in lines[i + 1]
            and _DELIMITER.match(lines[i + 1])
        ):
            header = _pipe_cells(line)
            rows: list[tuple[str, ...]] = []
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                rows.append(_pipe_cells(lines[j]))
                j += 1
            found.append((offsets[i], Table(header, tuple(rows))))
            i = j
            continue
        i += 1
    return found


def html_table_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each <table ...> ... </table> in text, as the lazy regex
    `<table.*?</table>` would find them, but in one linear pass."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for m in _TABLE_TAG.finditer(text):
        if m.group(0)[1] != "/":
            opened = m.start() if opened is None else opened
        elif opened is not None:
            spans.append((opened, m.end()))
            opened = None
    return spans


def csv_table(rows: Sequence[Sequence[str]]) -> Table:
    if not rows:
        return Table((), ())
    header = tuple(collapse(c) for c in rows[0])
    return Table(header, tuple(tuple(collapse(c) for c in row) for row in rows[1:]))


def check_options(options: Mapping[str, object]) -> None:
    """Raise ValidationError for missing or mis-shaped table options."""
    if not isinstance(options.get("column"), str) or not collapse(str(options["column"])):
        raise ValidationError("table rule needs a 'column' option (the header text to read)")
    for name in ("row", "row_contains"):
        if name in options and not isinstance(options[name], str):
            raise ValidationError(f"table option {name!r} must be a string")
    if "row" in options and "row_contains" in options:
        raise ValidationError("table options 'row' and 'row_contains' cannot be combined")
    if "where" in options:
        where = options["where"]
        if not isinstance(where, Mapping) or not where:
            raise ValidationError("table option 'where' must be a table {header: value}")
        for header, value in where.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
                raise ValidationError(
                    f"table 'where' value for {header!r} must be a string or number"
                )


def apply_table_rule(
    tables: Sequence[Table], options: Mapping[str, object], collector: HitCollector, *, what: str
) -> None:
    """One hit per row passing row/row_contains/where, reading the `column` cell."""
    column = _key(str(options["column"]))
    row = collapse(str(options["row"])) if "row" in options else None
    row_part = _key(str(options["row_contains"])) if "row_contains" in options else None
    where_opt = options.get("where")
    where = (
        {_key(str(h)): _key(str(v)) for h, v in (where_opt or {}).items()}
        if isinstance(where_opt, Mapping)
        else {}
    )
    if not tables:
        raise ExtractError("rule_no_match", f"table {what}: no table found")
    with_column = 0
    for t_index, table in enumerate(tables):
        keys = [_key(h) for h in table.header]
        if column not in keys or any(h not in keys for h in where):
            continue
        with_column += 1
        c_index = keys.index(column)
        checks = [(keys.index(h), v) for h, v in where.items()]
        for r_index, cells in enumerate(table.rows, start=1):
            label = cells[0] if cells else ""
            if row is not None and label != row:
                continue
            if row_part is not None and row_part not in label.casefold():
                continue
            if any(i >= len(cells) or _key(cells[i]) != v for i, v in checks):
                continue
            if c_index >= len(cells) or not cells[c_index]:
                continue
            if collector.full:
                collector.skip()
                continue
            location = f"table[{t_index}] row {r_index} column {table.header[c_index]!r}"
            hit = Hit(cells[c_index], _row_excerpt(cells, c_index), location, label or None)
            collector.add(hit)
    if collector.hits:
        return
    if not with_column:
        seen = ", ".join(_unique(h for t in tables for h in t.header if h))[:200]
        extra = list(where_opt) if isinstance(where_opt, Mapping) else []
        wanted = [str(options["column"]), *map(str, extra)]
        raise ExtractError(
            "rule_no_match",
            f"table {what}: no table has the columns {wanted} (headers seen: {seen})",
        )
    filters = ", ".join(
        f"{name}={options[name]!r}" for name in ("row", "row_contains", "where") if name in options
    )
    raise ExtractError(
        "rule_no_match",
        f"table {what}: column {options['column']!r} found but no row matched {filters or '-'}",
    )


def _expand_spans(trs: Sequence[etree._Element]) -> list[list[str]]:
    grid: list[list[str]] = []
    carried: dict[int, tuple[int, str]] = {}  # column -> (rows still to cover, text)
    cells = 0
    for tr in trs:
        row: list[str] = []
        below: dict[int, tuple[int, str]] = {}  # what this row hands down to the next
        last = max(carried, default=-1)  # once per row: max() per column was quadratic
        for cell in [*tr.xpath("./td | ./th"), None]:
            if cells + len(row) > MAX_TABLE_CELLS:
                raise ExtractError(
                    "parse_error", f"a table spans more than {MAX_TABLE_CELLS:,} cells"
                )
            # Fill columns held by a rowspan from above; after the last cell, fill them all.
            while len(row) in carried or (cell is None and last > len(row)):
                left, text = carried.pop(len(row), (0, ""))
                row.append(text)
                if left > 1:
                    below[len(row) - 1] = (left - 1, text)
            if cell is None:
                break
            text = collapse("".join(cell.itertext()))
            rowspan, colspan = _span(cell.get("rowspan")), _span(cell.get("colspan"))
            for _ in range(colspan):
                if rowspan > 1:
                    below[len(row)] = (rowspan - 1, text)
                carried.pop(len(row), None)
                row.append(text)
        carried = below
        cells += len(row)
        grid.append(row)
    return grid


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), _MAX_SPAN)
    except ValueError:
        return 1


def _pipe_cells(line: str) -> tuple[str, ...]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells = []
    for part in _PIPE.split(text):
        cell = collapse(part.replace("\\|", "|"))
        wrapped = _WRAPPED.match(cell)
        cells.append(wrapped.group(2).strip() if wrapped else cell)
    return tuple(cells)


def _row_excerpt(cells: Sequence[str], index: int) -> str:
    before = " | ".join(cells[:index])
    start = len(before) + (3 if index else 0)
    return excerpt(" | ".join(cells), start, start + len(cells[index]))


def _key(text: str) -> str:
    return collapse(text).casefold()


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
