"""The fast evidence export (COPY on PostgreSQL, csvbatch on SQLite) writes exactly the bytes of
the row-by-row export it replaced: the SQL-guarded query through `csv.writer`.

The fixture is made to break CSV writers: Chinese, every formula start of the injection table
in every text column and as the figure, apostrophes before them, commas, quotes, CR, LF and
CRLF inside cells, empty text next to NULL, negative and not-quite numbers, reused evidence
(cells from the original row) and failed fetches.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from factcheck.config import Settings
from factcheck.declarations.inputs import validate_claim, validate_source
from factcheck.editorial import csvbatch, csvsafe, evidencecsv, export
from factcheck.storage import catalog, db, runs
from factcheck.storage.models import Evidence
from tests.support import DatabaseUnderTest
from tests.unit.test_csvsafe import INJECTION_TABLE

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
TEXTS = [text for text, _ in INJECTION_TABLE] + [
    "我们发布了三个模型……4050 亿、700 亿和 80 亿个参数的模型。",
    'about $0.50, or "half"',
    "two\nlines",
    "crlf\r\ninside",
    'a "quote" only',
    "comma, only",
    '"starts with a quote',
    ",starts with a comma",
    "\r",
    "\n",
    None,
]
FIGURES = ["-0.5", "405000000000", "0.0000035", "-", "", "-1+2", "1e5", "-1e5", "=1", "@2"]
FIGURES += ["12abc", "'-3", "－5", "..", "-.5", "1,5", None]


def build(database: DatabaseUnderTest, rows: int) -> None:
    with db.session_scope(database.engine) as session:
        catalog.add_source(
            session=session,
            spec=validate_source({"key": "card", "url": "https://example.org/c", "format": "text"}),
            now=NOW,
        )
        link = {"source": "card", "rule_kind": "contains", "rule": "405B"}
        claim = catalog.add_claim(
            session=session,
            spec=validate_claim(
                {"key": "size", "statement": "4050 亿", "kind": "text", "evidence": [link]}
            ),
            now=NOW,
        )
        source = catalog.get_source(session=session, key="card")
        texts = itertools.cycle(TEXTS)
        figures = itertools.cycle(FIGURES)
        first_id: int | None = None
        for i in range(rows):
            run = runs.start_run(session=session, trigger="manual", now=NOW)
            failed, reused = i % 11 == 10, i % 13 == 12 and first_id is not None
            evidence = Evidence(
                run_id=run.id or 0,
                claim_id=claim.id or 0,
                source_id=source.id or 0,
                rule_kind="contains",
                rule=next(texts) or "",
                fetched_at=NOW + timedelta(seconds=i, microseconds=999_999 * (i % 2)),
                http_status=None if failed else (304 if reused else 200),
                final_url=None if failed or reused else next(texts),
                raw=None if failed or reused else next(texts),
                value=None if failed or reused else next(figures),
                unit=None if failed or reused else _short(next(texts)),
                excerpt=None if failed or reused else next(texts),
                stance="none" if failed else "supports",
                reused=bool(reused),
                reused_from_id=first_id if reused else None,
                error_code="timeout" if failed else None,
                error_message=next(texts) if failed else None,
            )
            session.add(evidence)
            session.flush()
            first_id = first_id or evidence.id


def _short(text: str | None) -> str | None:
    return None if text is None else text[:40]  # a unit is at most 40 characters


def reference(database: DatabaseUnderTest, **filters: object) -> str:
    """The export as it was: the query guarded in SQL, every row through csv.writer."""
    buffer = io.StringIO(newline="")
    with db.session_scope(database.engine) as session:
        rows = export.evidence_rows(session=session, filters=export.Filters(**filters))  # type: ignore[arg-type]
        export.write_csv(buffer, export.EVIDENCE_COLUMNS, rows)
    return buffer.getvalue()


def fast(database: DatabaseUnderTest, **filters: object) -> str:
    buffer = io.StringIO(newline="")
    heard: list[int] = []
    with db.session_scope(database.engine) as session:
        count = export.export_csv(
            "evidence",
            session=session,
            out=buffer,
            settings=Settings(),
            now=NOW,
            filters=export.Filters(**filters),  # type: ignore[arg-type]
            on_rows=heard.append,
        )
    text = buffer.getvalue()
    assert count == sum(heard) == len(list(csv.reader(io.StringIO(text[1:], newline="")))) - 1
    return text


@pytest.mark.parametrize("batch", [1, 7, 5000])
def test_fast_export_is_byte_identical_to_the_row_by_row_one(
    database: DatabaseUnderTest, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(evidencecsv, "BATCH_ROWS", batch)
    build(database, 60)
    expected = reference(database)
    assert fast(database) == expected
    assert "'=1+1" in expected and '"crlf\r\ninside"' in expected and "'-1+2" in expected
    assert fast(database, since=NOW + timedelta(seconds=30)) == reference(
        database, since=NOW + timedelta(seconds=30)
    )
    assert fast(database, label="none") == reference(database, label="none")
    assert fast(database, tag="nothing") == reference(database, tag="nothing")


def test_fast_export_to_a_file_writes_bytes_under_the_text_layer(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    """A real file: the BOM and header through the text stream, the rows as bytes below it."""
    build(database, 40)
    path = tmp_path / "evidence.csv"
    with (
        path.open("w", encoding="utf-8", newline="") as out,
        db.session_scope(database.engine) as session,
    ):
        export.export_csv("evidence", session=session, out=out, settings=Settings(), now=NOW)
    assert path.read_bytes() == reference(database).encode("utf-8")


def test_the_cli_writes_the_same_bytes(cli, database: DatabaseUnderTest, tmp_path: Path) -> None:
    build(database, 30)
    result = cli("export", "evidence", "-o", "e.csv")
    assert result.code == 0, result.stderr
    assert (tmp_path / "e.csv").read_bytes() == reference(database).encode("utf-8")


@pytest.mark.parametrize(("text", "cell"), INJECTION_TABLE)
def test_csvbatch_guards_as_csvsafe(text: str, cell: str) -> None:
    line = csvbatch.PLAIN.join([b"1", b"k"]) + csvbatch.TEXT + text.encode()
    written = io.StringIO(newline="")
    csv.writer(written, lineterminator="\r\n").writerow(["1", "k", csvsafe.guard(text)])
    assert csvbatch.finish(line).decode() == written.getvalue()
    assert csvsafe.guard(text) == cell


@pytest.mark.parametrize("figure", FIGURES[:-1])
def test_csvbatch_guards_figures_as_the_database(database: DatabaseUnderTest, figure: str) -> None:
    dialect = database.engine.dialect.name
    with database.engine.connect() as conn:
        value = sa.literal(figure, sa.Text)
        guarded = conn.execute(sa.select(export.sql_number_guard(value, dialect))).scalar_one()
    batch = csvbatch.finish(b"1" + csvbatch.NUMBER + figure.encode() + csvbatch.PLAIN + b"x")
    written = io.StringIO(newline="")
    csv.writer(written, lineterminator="\r\n").writerow(["1", guarded, "x"])
    assert batch.decode() == written.getvalue()
