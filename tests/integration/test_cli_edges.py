"""The CLI at its edges, run as a real process: FORCE_COLOR in a pipe still gives TSV, a JSON
journal ends in a JSON error line, and commands that read no setting (help, completion) are not
stopped by a broken one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import DatabaseUnderTest


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "factcheck", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.db
def test_force_color_in_a_pipe_still_gives_whole_tsv(database: DatabaseUnderTest) -> None:
    url = database.url
    long_url = "https://example.org/" + "very-long-path-segment/" * 8 + "page.html"
    code, _, err = _run("--db", url, "source", "add", "--key", "k", "--url", long_url)
    assert code == 0, err
    for force in ({"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}):
        code, out, err = _run("source", "list", "--db", url, env=force)
        assert code == 0, err
        header, row = out.splitlines()
        assert header.split("\t")[0] == "key" and "\x1b[" not in out and "┃" not in out
        assert row.split("\t")[0] == "k" and row.split("\t")[-1] == long_url


def test_a_json_journal_ends_in_a_json_error_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    code, out, err = _run("claim", "list", "--db", db, env={"FACTCHECK_LOG_FORMAT": "json"})
    assert code != 0 and out == ""
    lines = err.splitlines()
    assert lines, "no error line"
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert entries[-1]["level"] == "ERROR" and entries[-1]["logger"] == "factcheck"
    assert "database" in entries[-1]["msg"]
    # without the JSON format, the same failure is one plain line
    code, _, err = _run("claim", "list", "--db", db)
    assert code != 0 and err.startswith("error: ") and len(err.splitlines()) == 1


def test_help_and_completion_work_with_a_broken_setting(tmp_path: Path) -> None:
    broken = {"FACTCHECK_WORKRES": "3"}
    code, _, err = _run("claim", "list", env=broken, cwd=tmp_path)
    assert code == 2 and "FACTCHECK_WORKERS" in err and len(err.splitlines()) == 1
    code, out, err = _run("claim", "list", "--help", env=broken, cwd=tmp_path)
    assert code == 0 and "--label" in out, err
    code, out, err = _run("completion", "bash", env=broken, cwd=tmp_path)
    assert code == 0 and "complete" in out, err


def test_a_json_journal_holds_nothing_but_json_even_the_messages(tmp_path: Path) -> None:
    code, out, err = _run(
        "demo", "--keep", str(tmp_path / "demo"), "-v", env={"FACTCHECK_LOG_FORMAT": "json"}
    )
    assert code == 0, err
    entries = [json.loads(line) for line in err.splitlines()]  # raises on any plain line
    said = [e["msg"] for e in entries if e["logger"] == "factcheck.cli"]
    assert any(m.startswith("demo: imported") for m in said)
    assert out.splitlines()[0].startswith("claim\tverdict")  # the result stays on stdout


def test_a_text_log_line_is_one_line() -> None:
    import logging

    from factcheck.cli.logs import TextFormatter

    record = logging.LogRecord("alembic", logging.INFO, __file__, 1, "first\nsecond", None, None)
    line = TextFormatter().format(record)
    assert "\n" not in line and line.endswith("first second")
