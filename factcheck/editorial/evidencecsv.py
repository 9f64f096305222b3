"""The evidence export at the speed of the databases' own CSV writers (benchmarks/export.py).

Python costs per object, so no path makes eighteen objects a row: PostgreSQL writes the CSV
itself (`COPY (query) TO STDOUT WITH CSV`, the guard in the query) and Python only turns each
row's LF into CRLF; SQLite gives each row as one line of marked cells (evidencerows.
line_statement) that `csvbatch` guards and quotes 5,000 rows at a time, fetched on a second
thread while the previous batch is made (sqlite3 releases the GIL while the query runs).
Both write bytes straight to the file under the text stream. Any other database, or a
PostgreSQL client encoding other than UTF-8, takes the row-by-row path.
"""

from __future__ import annotations

import codecs
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, TextIO

from sqlmodel import Session

from factcheck.editorial import csvbatch, evidencerows, exportsql
from factcheck.editorial.columns import EVIDENCE_COLUMNS
from factcheck.editorial.csvwriter import write_csv, write_header
from factcheck.editorial.exportsql import Filters

BATCH_ROWS = 5_000
Progress = Callable[[int], None]


def write_evidence(
    out: TextIO, *, session: Session, filters: Filters, bom: bool, on_rows: Progress
) -> int:
    """Stream the evidence export into `out` (opened with newline=""); returns the row count."""
    dialect = exportsql.dialect_of(session)
    claim_ids = evidencerows.labelled_ids(session, filters)
    dbapi = session.connection().connection.dbapi_connection
    if dialect == "postgresql" and getattr(getattr(dbapi, "info", None), "encoding", "") == "utf-8":
        write_header(out, EVIDENCE_COLUMNS, bom=bom)
        statement = evidencerows.copy_statement(filters=filters, claim_ids=claim_ids)
        return _copy(session, statement, _bytes_to(out), on_rows)
    if dialect == "sqlite":
        write_header(out, EVIDENCE_COLUMNS, bom=bom)
        statement = evidencerows.line_statement(filters=filters, claim_ids=claim_ids)
        return _lines(session, statement, _bytes_to(out), on_rows)
    rows = evidencerows.evidence_rows(session=session, filters=filters)
    return write_csv(out, EVIDENCE_COLUMNS, _counted(rows, on_rows), bom=bom)


def _bytes_to(out: TextIO) -> Callable[[bytes], object]:
    """Write UTF-8 bytes: to the binary file under a UTF-8 text stream (after what the text
    layer holds), else decoded through `out` (a StringIO, another encoding)."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None) or "ascii"
    if buffer is not None and codecs.lookup(encoding).name == "utf-8":
        out.flush()
        return buffer.write  # type: ignore[no-any-return]
    return lambda data: out.write(data.decode("utf-8"))


def _copy(
    session: Session, statement: Any, write: Callable[[bytes], object], on_rows: Progress
) -> int:
    """COPY's CSV is the csv module's but for the row end: LF, not CRLF. Each read is one row,
    so its last byte is the row's LF (a LF inside a quoted cell stays as it is)."""
    connection = session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
    count = 0
    rows: list[Any] = []
    dbapi = connection.connection.dbapi_connection
    with dbapi.cursor() as cursor, cursor.copy(sql, compiled.params) as copy:  # type: ignore[union-attr]
        for row in copy:
            rows.append(row)
            if len(rows) == BATCH_ROWS:
                write(_crlf(rows))
                count += len(rows)
                on_rows(len(rows))
                rows.clear()
    if rows:
        write(_crlf(rows))
        count += len(rows)
        on_rows(len(rows))
    return count


def _crlf(rows: list[Any]) -> bytes:
    data = b"".join(rows)
    if data.count(b"\n") == len(rows):  # no LF inside a cell: one replace
        return data.replace(b"\n", b"\r\n")
    return b"\r\n".join([row[:-1] for row in rows]) + b"\r\n"


def _lines(
    session: Session, statement: Any, write: Callable[[bytes], object], on_rows: Progress
) -> int:
    result = session.connection().execute(statement)
    cursor = result.cursor  # the DBAPI cursor: BLOBs as they are, no Row objects
    first = itemgetter(0)

    def fetch() -> tuple[int, bytes] | None:
        rows = cursor.fetchmany(BATCH_ROWS)
        return (len(rows), csvbatch.ROW.join(map(first, rows))) if rows else None

    count = 0
    try:
        with _prefetching(fetch) as batches:
            for size, batch in batches:
                write(csvbatch.finish(batch))
                count += size
                on_rows(size)
    finally:
        result.close()
    return count


@contextmanager
def _prefetching(
    fetch: Callable[[], tuple[int, bytes] | None],
) -> Iterator[Iterator[tuple[int, bytes]]]:
    """`fetch()` called on a second thread until it returns None, at most two batches ahead;
    its error is raised here. On the way out (an error, SIGTERM) the thread stops and is
    joined before the connection is used again."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run() -> None:
        try:
            while not stop.is_set():
                item = fetch()
                put(item)
                if item is None:
                    return
        except BaseException as exc:  # handed to the main thread, raised there
            put(exc)

    def items() -> Iterator[tuple[int, bytes]]:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    thread = threading.Thread(target=run, name="export-fetch", daemon=True)
    thread.start()
    try:
        yield items()
    finally:
        stop.set()
        thread.join()


def _counted(rows: Iterator[Any], on_rows: Progress) -> Iterator[Any]:
    count = 0
    for row in rows:
        yield row
        count += 1
        if count == BATCH_ROWS:
            on_rows(count)
            count = 0
    if count:
        on_rows(count)
