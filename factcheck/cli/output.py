"""How results are printed: one format per command, whatever the width.

On a terminal a table is a rich table whose cells fold (never an ellipsis) and whose verdict
labels are coloured (the word is always written too, so it reads without colour and with
`NO_COLOR`). Anywhere else (a pipe, a file, a log) it is tab-separated values with a header row:
nothing is cut, columns are stable, `cut -f` and `awk -F'\\t'` work. A tab, newline, carriage
return or backslash inside a cell is escaped (`\\t`, `\\n`, `\\r`, `\\\\`), as in the Linear TSV
convention, so one row is always one line.

Key/value blocks (`claim show`, `schedule status`) are "name  value" lines in both places.
A label column is never folded on a terminal: the word stays whole, the other columns give way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from factcheck.cli.common import out

if TYPE_CHECKING:
    from rich.table import Column

# A label's colour on a terminal. Unknown words print unstyled.
LABEL_STYLES = {
    "supported": "bold green",
    "refuted": "bold red",
    "mixed": "bold yellow",
    "not_enough_info": "yellow",
    "pending": "dim",
    "never_checked": "dim",
    "stale": "magenta",
    "fresh": "green",
    "succeeded": "green",
    "completed": "green",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
}

_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class Col:
    """A column: its header, and whether its cells are labels to colour on a terminal."""

    name: str
    label: bool = False


def tsv_cell(value: object) -> str:
    r"""A cell as one TSV field: None is empty; tabs and line breaks are escaped.

    >>> tsv_cell("a\tb\nc")
    'a\\tb\\nc'
    >>> tsv_cell(None)
    ''
    """
    return "" if value is None else str(value).translate(_TSV_ESCAPES)


def when(value: datetime | str | None) -> str | None:
    """A timestamp as tables show it, to the minute in UTC (JSON keeps the full ISO form).

    >>> when("2024-07-23T12:00:59+00:00"), when(None)
    ('2024-07-23 12:00', None)
    """
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M}"


def print_table(columns: Sequence[str | Col], rows: Iterable[Sequence[object]]) -> None:
    """Print rows under `columns`: a rich table on a terminal, TSV anywhere else."""
    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    if not out.is_terminal:
        write = out.file.write
        write("\t".join(tsv_cell(c.name) for c in cols) + "\n")
        for row in rows:
            write("\t".join(tsv_cell(v) for v in row) + "\n")
        out.file.flush()
        return
    from rich.table import Table
    from rich.text import Text

    cells_by_row = [list(row) for row in rows]
    table = Table(*(_column(c, cells_by_row, i) for i, c in enumerate(cols)), highlight=False)
    for row in cells_by_row:
        cells = [
            Text(
                "" if v is None else str(v),
                style=LABEL_STYLES.get(str(v), "") if c.label else "",
            )
            for c, v in zip(cols, row, strict=True)
        ]
        table.add_row(*cells)
    out.print(table)


def _column(col: Col, rows: Sequence[Sequence[object]], index: int) -> Column:
    """Cells fold (never an ellipsis); a label column neither folds nor shrinks below its
    longest word (rich would share a narrow terminal out evenly and fold `not_enough_info`)."""
    from rich.table import Column

    widest = max((len(str(row[index])) for row in rows if row[index] is not None), default=0)
    if not col.label or not widest:
        return Column(col.name, overflow="fold")
    return Column(col.name, overflow="fold", no_wrap=True, min_width=widest)


def label_text(value: str) -> object:
    """A label for a line of text: coloured on a terminal, the plain word elsewhere."""
    if not out.is_terminal:
        return value
    from rich.text import Text

    return Text(value, style=LABEL_STYLES.get(value, ""))


def print_fields(pairs: Sequence[tuple[str, object]]) -> None:
    """Aligned "name  value" lines (None prints as -), the same on a terminal and in a pipe;
    a value from `label_text` keeps its colour."""
    width = max((len(name) for name, _ in pairs), default=0)
    for name, value in pairs:
        if value is not None and not isinstance(value, str) and hasattr(value, "__rich_console__"):
            from rich.text import Text

            out.print(Text(f"{name:<{width}}  ") + value, soft_wrap=True)
            continue
        shown = "-" if value is None else str(value)
        out.print(f"{name:<{width}}  {shown}", markup=False, highlight=False, soft_wrap=True)
