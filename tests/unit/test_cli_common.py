"""cli/common: the shared concerns are defined once, and the CLI modules share only public names."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import factcheck
import factcheck.errors
from factcheck.cli import common, export_cmd
from factcheck.cli.common import ExitCode, parse_since
from factcheck.config import DEFAULT_USER_AGENT
from factcheck.errors import ValidationError

CLI = Path(factcheck.__file__).parent / "cli"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC)),
        (" 2026-01-02 ", datetime(2026, 1, 2, tzinfo=UTC)),
        ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02 03:04", datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:00:00+02:00", datetime(2026, 1, 2, 1, tzinfo=UTC)),
        ("20260102", datetime(2026, 1, 2, tzinfo=UTC)),  # ISO 8601 basic format
    ],
)
def test_since_is_a_date_or_an_iso_time_in_utc(text: str, expected: datetime) -> None:
    parsed = parse_since(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["yesterday", "", "2026-13-01", "02/01/2026", "2026-01-02T25:00"])
def test_a_bad_since_is_one_validation_error(text: str) -> None:
    with pytest.raises(ValidationError, match=r"^--since .*: expected YYYY-MM-DD or an ISO 8601"):
        parse_since(text)


def test_no_since_is_none() -> None:
    assert parse_since(None) is None


def test_export_and_changes_share_the_since_parser() -> None:
    assert export_cmd.parse_since is common.parse_since
    source = (CLI / "schedule.py").read_text(encoding="utf-8")
    assert "fromisoformat" not in source and "parse_since(" in source


def test_every_error_exit_code_is_a_documented_exit_code() -> None:
    classes = [
        c
        for _, c in inspect.getmembers(factcheck.errors, inspect.isclass)
        if issubclass(c, factcheck.errors.FactcheckError)
    ]
    assert len(classes) >= 8
    for cls in classes:
        assert cls.exit_code in set(ExitCode), cls.__name__
    assert ExitCode.INTERRUPTED == 130 and ExitCode.USAGE == 2


def test_the_export_commands_are_the_export_kinds() -> None:
    from factcheck.editorial import export

    assert export_cmd.KINDS == export.KINDS


def _private_imports(path: Path) -> list[str]:
    """Every `from factcheck.cli... import _name` in the module at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("factcheck.cli"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_no_cli_module_imports_another_ones_private_names() -> None:
    modules = sorted(CLI.glob("*.py"))
    assert len(modules) >= 10
    assert [name for path in modules for name in _private_imports(path)] == []


def test_the_version_is_declared_once() -> None:
    assert factcheck.__version__.count(".") == 2
    assert importlib.metadata.version("factcheck") == factcheck.__version__
    assert DEFAULT_USER_AGENT.startswith(f"factcheck/{factcheck.__version__} ")
    pyproject = (CLI.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "factcheck.__version__" }' in pyproject
