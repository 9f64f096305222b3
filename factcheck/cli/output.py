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

from factcheck.cli.common import isatty, out

if TYPE_CHECKING:
    pass

# A label's colour on a terminal. Unknown words print unstyled.
LABEL_STYLES = {
    "supported": "bold green",
    "refuted": "bold red",
    "mixed": "bold yellow",
    "not_enough_info": "yellow",
    "pending": "dim",
    "never_checked": "dim",
    "no_evidence": "red",
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


def stdout_is_terminal() -> bool:
    """Whether stdout is a real terminal (`common.isatty`: FORCE_COLOR does not count)."""
    return isatty(out.file)


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
    if not stdout_is_terminal():
        write = out.file.write
        write("\t".join(tsv_cell(c.name) for c in cols) + "\n")
        for row in rows:
            write("\t".join(tsv_cell(v) for v in row) + "\n")
        out.file.flush()
        return
    from rich.table import Column, Table
    from rich.text import Text

    cells_by_row = [list(row) for row in rows]
    natural = [
        max([len(c.name)] + [len(str(row[i])) for row in cells_by_row if row[i] is not None])
        for i, c in enumerate(cols)
    ]
    whole = [c.label or i == 0 for i, c in enumerate(cols)]
    widths = column_widths(natural, whole, out.width - 3 * len(cols) - 1)
    table = Table(
        *(Column(c.name, overflow="fold", width=w) for c, w in zip(cols, widths, strict=True)),
        highlight=False,
    )
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


def column_widths(natural: Sequence[int], whole: Sequence[bool], room: int) -> list[int]:
    """Column widths for a terminal `room` characters wide (borders taken off). Every column at
    its natural width when they fit; otherwise the key and label columns (`whole`) stay whole
    (a key up to a quarter of the room) and the free text beside them shares the rest and
    folds. Rich alone would share a narrow terminal out evenly, folding `iphone-released-2007`
    and `not_enough_info`, or crop the table.

    >>> column_widths([20, 9, 40], [True, True, False], 80)
    [20, 9, 40]
    >>> column_widths([41, 15, 60, 30], [True, True, False, False], 60)
    [15, 15, 20, 10]
    """
    if sum(natural) <= room:
        return list(natural)
    kept = [
        min(n, max(8, room // 4)) if i == 0 else n if keep or n <= 8 else 0
        for i, (n, keep) in enumerate(zip(natural, whole, strict=True))
    ]
    free = [i for i, width in enumerate(kept) if not width]
    left = max(room - sum(kept), 4 * len(free))
    asked = sum(natural[i] for i in free) or 1
    for i in free:
        kept[i] = max(4, min(natural[i], natural[i] * left // asked))
    while sum(kept) > room and max(kept) > 4:  # too narrow even so: the widest gives way
        kept[kept.index(max(kept))] -= 1
    return kept


def label_text(value: str) -> object:
    """A label for a line of text: coloured on a terminal, the plain word elsewhere."""
    if not stdout_is_terminal():
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
