"""How results are printed: one format per command, whatever the width.

On a terminal a table is a rich table whose cells fold (never an ellipsis) and whose verdict
labels are coloured (the word is always written too, so it reads without colour and with
`NO_COLOR`). Anywhere else (a pipe, a file, a log) it is tab-separated values with a header row:
nothing is cut, columns are stable, `cut -f` and `awk -F'\\t'` work. A tab, newline, carriage
return or backslash inside a cell is escaped (`\\t`, `\\n`, `\\r`, `\\\\`), as in the Linear TSV
convention, so one row is always one line.

Key/value blocks (`claim show`, `schedule status`) are "name  value" lines in both places.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from factcheck.cli.common import out

# A label's colour on a terminal. Unknown words print unstyled.
LABEL_STYLES = {
    "supported": "bold green",
    "refuted": "bold red",
    "mixed": "bold yellow",
    "not_enough_info": "yellow",
    "pending": "dim",
    "never_checked": "dim",
    "stale": "magenta",
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
    from rich.table import Column, Table
    from rich.text import Text

    table = Table(*(Column(c.name, overflow="fold") for c in cols), highlight=False)
    for row in rows:
        cells = [
            Text(
                "" if v is None else str(v),
                style=LABEL_STYLES.get(str(v), "") if c.label else "",
            )
            for c, v in zip(cols, row, strict=True)
        ]
        table.add_row(*cells)
    out.print(table)


def label_text(value: str) -> object:
    """A label for a line of text: coloured on a terminal, the plain word elsewhere."""
    if not out.is_terminal:
        return value
    from rich.text import Text

    return Text(value, style=LABEL_STYLES.get(value, ""))


def print_fields(pairs: Sequence[tuple[str, object]]) -> None:
    """Aligned "name  value" lines (None prints as -), the same on a terminal and in a pipe."""
    width = max((len(name) for name, _ in pairs), default=0)
    for name, value in pairs:
        shown = "-" if value is None else str(value)
        out.print(f"{name:<{width}}  {shown}", markup=False, highlight=False, soft_wrap=True)
