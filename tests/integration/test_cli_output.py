"""What the commands print, on every database backend: TSV in a pipe (stable header, nothing
cut), a coloured table on a real terminal (a pty, 60 columns: labels whole and coloured, no
`…`), `--json` that parses for every command, reads and writes alike, global options after the
subcommand, and progress in the log."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from factcheck.storage import records
from tests.support import REPO, DatabaseUnderTest, Result, cli_env, run_cli

Cli = Callable[..., Result]

LONG_URL = (
    "https://example.org/" + "a-rather-long-path-segment/" * 6 + "report.html?section=disclosures"
)
LONG_AMOUNT = "1234567890123456789012345678"  # 28 significant digits, what Decimal keeps
STATEMENT = f"Our model has {LONG_AMOUNT} parameters."


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def seed(cli: Cli) -> dict[str, Any]:
    """Two sources (one with a long URL), two claims (one with a 30-digit amount), their links
    and an editor's verdict on each (mixed puts one in the review queue); the JSON of each
    write, parsed."""
    made = {
        "source add": cli(
            "source", "add", "--key", "long", "--url", LONG_URL, "--format", "html", "--json"
        ),
        "source add text": cli(
            "source", "add", "--key", "card", "--url", "https://example.org/c.md", "--format",
            "text", "--json",
        ),
        "claim add": cli(
            "claim", "add", "--key", "big", "--statement", STATEMENT, "--kind", "quantity",
            "--expected", LONG_AMOUNT, "--unit", "parameters", "--tag", "t1", "--json",
        ),
        "claim add text": cli(
            "claim", "add", "--key", "words", "--statement", "It is open.", "--kind", "text",
            "--expected", "open", "--json",
        ),
        "claim link": cli(
            "claim", "link", "big", "long", "--rule-kind", "css", "--rule", "p b", "--json"
        ),
        "claim link text": cli(
            "claim", "link", "words", "card", "--rule-kind", "contains", "--rule", "open",
            "--json",
        ),
        "verdict set": cli(
            "verdict", "set", "big", "supported", "--note", "checked", "--editor", "ann", "--json"
        ),
        "verdict set mixed": cli(
            "verdict", "set", "words", "mixed", "--note", "half", "--editor", "ann", "--json"
        ),
    }  # fmt: skip
    return {name: ok(result).json() for name, result in made.items()}


def tsv(result: Result) -> list[list[str]]:
    """The table on stdout, every row as wide as the header."""
    rows = [line.split("\t") for line in ok(result).stdout.splitlines()]
    assert all(len(row) == len(rows[0]) for row in rows), rows
    return rows


def test_every_write_prints_its_object_as_json(cli: Cli, tmp_path: Path) -> None:
    made = seed(cli)
    assert made["source add"]["key"] == "long" and made["source add"]["url"] == LONG_URL
    assert made["source add"]["id"] is not None
    big = made["claim add"]
    assert (big["key"], big["expected_amount"], big["tags"]) == ("big", LONG_AMOUNT, ["t1"])
    assert big["latest_verdict"] is None
    link = made["claim link"]
    assert (link["claim_key"], link["source_key"], link["role"], link["rule"]) == (
        "big", "long", "value", "p b",
    )  # fmt: skip
    verdict = made["verdict set"]
    assert (verdict["claim_key"], verdict["label"], verdict["set_by"]) == (
        "big",
        "supported",
        "editor",
    )
    assert verdict["id"] is not None

    edited = ok(cli("claim", "edit", "big", "--subject", "Model", "--json")).json()
    assert (edited["subject"], edited["changed"]) == ("Model", True)
    assert edited["latest_verdict"]["label"] == "supported"
    cleared = ok(cli("verdict", "clear", "big", "--note", "n", "--editor", "ann", "--json")).json()
    assert cleared["action"] == "lift"
    reviewed = ok(cli("review", "done", "words", "--note", "seen", "--json")).json()
    assert (reviewed["claim_key"], reviewed["note"]) == ("words", "seen")
    unlinked = ok(cli("claim", "unlink", "words", "card", "--json")).json()
    assert [r["rule"] for r in unlinked["removed"]] == ["open"]
    retired = ok(cli("claim", "retire", "words", "--json")).json()
    assert (retired["status"], retired["changed"]) == ("retired", True)
    again = ok(cli("claim", "retire", "words", "--json")).json()
    assert again["changed"] is False

    export = tmp_path / "claims.csv"
    done = ok(cli("export", "claims", "-o", str(export), "--json")).json()
    assert done == {"kind": "claims", "rows": 2, "output": str(export)}
    back = ok(cli("import-csv", str(export), "--json")).json()
    assert sorted(back["updated"] + back["unchanged"]) == ["big", "words"]


def test_every_read_and_admin_command_prints_json(cli: Cli, tmp_path: Path) -> None:
    seed(cli)
    for args in (
        ("claim", "list"),
        ("claim", "show", "big"),
        ("claim", "history", "big"),
        ("source", "list"),
        ("source", "show", "long"),
        ("review",),
        ("db", "current"),
        ("db", "upgrade"),
        ("init",),
        ("quantity", "4050 亿"),
        *(("export", kind, "-o", str(tmp_path / kind)) for kind in ("evidence", "verdicts")),
        ("export", "changes", "-o", str(tmp_path / "changes")),
        ("export", "claimreview", "-o", str(tmp_path / "reviews.json")),
    ):
        result = ok(cli(*args, "--json"))
        assert isinstance(json.loads(result.stdout), dict | list), args
    assert ok(cli("init", "--json")).json()["created"] is False
    assert ok(cli("db", "upgrade", "--json")).json()["changed"] is False
    reviews = ok(cli("export", "claimreview", "-o", str(tmp_path / "r.json"), "--json")).json()
    assert reviews["rows"] == 2  # supported and mixed are on the rating scale
    assert len(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))) == 2


def test_import_json_lists_what_it_did(cli: Cli) -> None:
    dry = ok(cli("import", str(REPO / "sources"), "--dry-run", "--json")).json()
    assert dry["dry_run"] is True and len(dry["created"]) == 16 and dry["updated"] == []
    assert {"kind": "claim", "key": "iphone-released-2007"} in dry["created"]
    assert ok(cli("claim", "list", "--json")).json() == []  # a dry run wrote nothing
    done = ok(cli("import", str(REPO / "sources"), "--json")).json()
    assert done["dry_run"] is False and len(done["created"]) == 16
    assert all(f.endswith(".toml") for f in done["files"])
    again = ok(cli("import", str(REPO / "sources"), "--json")).json()
    assert again["created"] == [] and len(again["unchanged"]) == 16


def test_init_json_on_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    made = ok(run_cli("init", "--json", db_url=url, cwd=tmp_path)).json()
    assert made == {"database": url, "revision": made["revision"], "created": True}


def test_export_json_needs_a_file(cli: Cli) -> None:
    result = cli("export", "claims", "--json")
    assert result.code == 2 and result.stdout == ""
    assert "--json needs --output FILE" in result.stderr


def test_tables_in_a_pipe_are_tsv_with_nothing_cut(cli: Cli) -> None:
    seed(cli)
    claims = tsv(cli("claim", "list"))
    assert claims[0] == [
        "key", "kind", "status", "label", "freshness", "verdict at", "subject", "tags",
    ]  # fmt: skip
    assert [(r[0], r[3]) for r in claims[1:]] == [("big", "supported"), ("words", "mixed")]
    sources = tsv(cli("source", "list"))
    assert sources[0] == [
        "key", "format", "recheck", "last status", "last error", "last good fetch", "next due",
        "url",
    ]  # fmt: skip
    assert [r[6] for r in sources[1:]] == ["next run", "next run"]  # never fetched: due now
    assert [r[-1] for r in sources[1:]] == ["https://example.org/c.md", LONG_URL]
    queue = tsv(cli("review"))
    assert queue[0] == ["claim", "label", "set by", "freshness", "why"]
    assert queue[1][:3] == ["words", "mixed", "editor"]
    history = tsv(cli("claim", "history", "big"))
    assert history[0] == ["when", "what", "by", "summary"]
    assert history[1][1:3] == ["override", "editor ann"]
    amounts = tsv(cli("quantity", f"about {LONG_AMOUNT} parameters"))
    assert amounts[0] == ["text", "found", "amount", "unit", "bound", "reads as"]
    assert amounts[1][2] == LONG_AMOUNT


def test_show_commands_print_fields_and_whole_values(cli: Cli) -> None:
    seed(cli)
    shown = ok(cli("claim", "show", "big")).stdout
    assert re.search(rf"^stored +exact {LONG_AMOUNT}, unit parameters", shown, re.M), shown
    assert re.search(r"^label +supported$", shown, re.M)
    assert f"long\tvalue\tcss\tp b\t{LONG_URL}\n" in shown
    source = ok(cli("source", "show", "long")).stdout
    assert re.search(rf"^url +{re.escape(LONG_URL)}$", source, re.M), source
    assert re.search(r"^next due +next run$", source, re.M), source
    assert re.search(r"^last good fetch +-$", source, re.M), source
    shown = ok(cli("source", "show", "long", "--json")).json()
    assert shown["next_due_at"] is None and shown["last_good_fetch_at"] is None  # JSON: null
    assert "big\tvalue\tcss\tp b\n" in source


def test_fetch_state_and_freshness_are_shown_from_the_records(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys the core records gain for issue 11 item 5 (last_status, last_error,
    last_good_fetch_at, next_due_at; freshness) go to their columns (records are stood in for
    until the branch that fills them is merged)."""
    seed(cli)
    source_record, claim_record = records.source_record, records.claim_record
    state = {
        "last_status": 404,
        "last_error": "http_status: 404 Not Found",
        "last_good_fetch_at": "2026-01-02T03:04:05+00:00",
        "next_due_at": "2026-01-03T03:04:05+00:00",
    }
    monkeypatch.setattr(records, "source_record", lambda *a: {**source_record(*a), **state})
    monkeypatch.setattr(
        records,
        "claim_record",
        lambda *a, **k: {**claim_record(*a, **k), "freshness": "never_checked"},
    )
    row = tsv(cli("source", "list"))[2]
    assert row[3:7] == ["404", "http_status: 404 Not Found", "2026-01-02 03:04", "2026-01-03 03:04"]
    shown = ok(cli("source", "show", "long")).stdout
    assert re.search(r"^last error +http_status: 404 Not Found$", shown, re.M)
    assert re.search(r"^next due +2026-01-03 03:04$", shown, re.M)
    assert "last fetched" not in shown  # the last good fetch, shown once
    assert [r[4] for r in tsv(cli("claim", "list"))[1:]] == ["never_checked"] * 2
    assert tsv(cli("review"))[1][3] == "never_checked"
    assert re.search(r"^freshness +never_checked$", ok(cli("claim", "show", "big")).stdout, re.M)


def test_global_options_after_the_subcommand(database: DatabaseUnderTest, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> Result:
        return ok(run_cli(*args, cwd=elsewhere))

    run("source", "add", "--key", "k", "--url", LONG_URL, "--db", database.url)
    listed = run("source", "list", f"--db={database.url}", "--json").json()
    assert [s["key"] for s in listed] == ["k"]  # type: ignore[index]
    logged = run("export", "claims", "-o", str(elsewhere / "c.csv"), "--db", database.url, "-v")
    assert "export claims: done, 0 rows" in logged.stderr  # -v after the subcommand: INFO
    assert sorted(p.name for p in elsewhere.iterdir()) == ["c.csv"]  # no default database


def test_import_and_export_report_progress_in_the_log(cli: Cli, tmp_path: Path) -> None:
    imported = ok(cli("import", str(REPO / "sources"), "-v"))
    assert "import: done, 16/16 entries (100%)" in imported.stderr
    exported = ok(cli("export", "evidence", "-o", str(tmp_path / "e.csv"), "-v"))
    assert "export evidence: done, 0 rows" in exported.stderr
    quiet = ok(cli("export", "claims", "-o", str(tmp_path / "c.csv")))
    assert "done" not in quiet.stderr and quiet.stdout == ""


# -- on a real terminal ------------------------------------------------------------------------

# One interpreter runs several commands on one pty (a process start costs about a second).
DRIVER = """
import json, sys
from factcheck.cli import main
for argv in json.loads(sys.argv[1]):
    sys.stdout.write("\\n=== " + " ".join(argv[2:]) + "\\n")
    sys.stdout.flush()
    sys.argv = ["factcheck", *argv]
    try:
        main()
    except SystemExit as exc:
        sys.stdout.write("\\n=== exit " + str(exc.code) + "\\n")
        sys.stdout.flush()
"""
ANSI = r"\x1b\[[0-9;]*m"


def on_terminal(commands: list[list[str]], *, columns: int, timeout: float = 120) -> dict[str, str]:
    """Each command's output (stdout and stderr) on a pty `columns` wide, by command."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = cli_env({"COLUMNS": str(columns), "LINES": "40", "TERM": "xterm-256color"})
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(commands)],
        stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every end of the terminal is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        process.wait(timeout=30)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    parts = re.split(r"^=== (.*)$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_on_a_narrow_terminal_labels_are_whole_and_coloured(
    cli: Cli, database: DatabaseUnderTest
) -> None:
    seed(cli)
    shown = on_terminal(
        [
            ["--db", database.url, *args]
            for args in (
                ["claim", "list"],
                ["review"],
                ["claim", "show", "big"],
                ["source", "list"],
                ["claim", "history", "big"],
                ["quantity", f"about {LONG_AMOUNT} parameters"],
            )
        ],
        columns=80,  # the narrow terminal; at 60 a claim list of 8 columns folds its keys
    )
    assert set(shown) >= {"claim list", "review", "claim show big", "source list"}, shown
    for command, output in shown.items():
        if command.startswith("exit"):
            assert command == "exit 0", shown
            continue
        assert "…" not in output, (command, output)
        assert "\t" not in output, (command, output)  # a table, not TSV
        assert "Traceback" not in output
    for command, words in {
        "claim list": ("supported", "mixed"),
        "review": ("mixed",),
        "claim show big": ("supported",),
    }.items():
        for word in words:
            assert re.search(rf"{ANSI}{word} *{ANSI}", shown[command]), (word, shown[command])
    assert "big" in shown["claim list"] and "2 claim(s)" in shown["claim list"]
