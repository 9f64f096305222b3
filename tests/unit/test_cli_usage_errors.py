"""Typer's usage errors end as one line on stderr and exit 2, like every other error; the real
entry point is run (no database is needed: parsing fails first)."""

from __future__ import annotations

from pathlib import Path

import pytest

import factcheck
from tests.support import run_cli


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["bogus"], "No such command 'bogus'"),
        (["claim", "bogus"], "No such command 'bogus'"),
        (["claim", "show"], "Missing argument"),
        (["rule", "test", "https://example.org/"], "Missing option '--rule-kind'"),
        (
            ["source", "add", "--key", "k", "--url", "u", "--recheck-hours", "soon"],
            "Invalid value for '--recheck-hours'",
        ),
        (["claim", "list", "--bogus"], "No such option: --bogus"),
        (["export", "claims", "--output"], "requires an argument"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.code == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and says in lines[0], lines[0]
    assert lines[0].endswith(" --help`)"), lines[0]  # where to read more
    assert list(tmp_path.iterdir()) == []  # no database was created


def test_the_hint_names_the_command_that_failed(tmp_path: Path) -> None:
    result = run_cli("claim", "show", cwd=tmp_path)
    assert result.stderr == "error: Missing argument 'KEY'. (see `factcheck claim show --help`)\n"


def test_a_bare_group_still_shows_its_help(tmp_path: Path) -> None:
    result = run_cli("claim", cwd=tmp_path)
    assert result.code == 2
    assert "Usage: factcheck claim" in result.stderr and "add" in result.stderr


def test_version_prints_the_declared_version(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (
        0,
        f"factcheck {factcheck.__version__}\n",
        "",
    )


@pytest.mark.parametrize(
    "args",
    [["claim", "list", "--db"], ["claim", "list", "--db", "--", "x"], ["review", "done", "--db"]],
)
def test_db_without_a_value_after_the_subcommand(tmp_path: Path, args: list[str]) -> None:
    """Not `No such command 'list'`: the bare --db does not swallow the subcommand."""
    result = run_cli(*args, cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: Option '--db' requires an argument. (see `factcheck --help`)\n"
    )
    assert list(tmp_path.iterdir()) == []
