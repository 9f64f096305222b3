"""Imports go one way (../shared/STYLE.md): the pure core never touches the database or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "factcheck"

# module -> what it may not import (prefixes)
PURE_CORE = {
    "errors",
    "config",
    "domain",
    "quantities",
    "units",
    "fetch",
    "netguard",
    "robots",
    "charset",
    "extract",
    "htmltext",
    "jsonpath",
    "tables",
    "snippets",
    "judge",
    "reasons",
    "sources",
}
DATABASE = (
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "factcheck.models",
    "factcheck.db",
    "factcheck.store",
    "factcheck.ledger",
    "factcheck.pipeline",
    "factcheck.records",
)
CLI_ONLY = ("typer", "rich", "click")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from factcheck import store` imports factcheck.store
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
        for path in PACKAGE.rglob("*.py")
    }


def test_pure_core_does_not_import_the_database_or_the_cli() -> None:
    for name, path in _modules().items():
        if name in PURE_CORE:
            bad = {i for i in _imports(path) if i.startswith(DATABASE + CLI_ONLY)}
            assert not bad, f"factcheck/{name}.py imports {sorted(bad)}"


def test_only_the_cli_imports_typer_and_rich_and_nothing_imports_the_cli() -> None:
    for name, path in _modules().items():
        imports = _imports(path)
        if name.startswith("cli") or name == "__main__":  # `python -m factcheck` is the CLI
            continue
        assert not {i for i in imports if i.startswith(CLI_ONLY)}, (
            f"factcheck/{name}.py imports the CLI toolkit"
        )
        assert not {i for i in imports if i.startswith("factcheck.cli")}, (
            f"factcheck/{name}.py imports the CLI"
        )


def test_fetching_knows_nothing_of_the_database() -> None:
    for name in ("fetch", "netguard", "robots", "charset"):
        imports = _imports(PACKAGE / f"{name}.py")
        assert not {i for i in imports if i.startswith(DATABASE)}, name
