"""The import contract: packages by stage, and imports go one way (down), never up or sideways.

Each factcheck module belongs to a layer; it may import factcheck modules of lower layers and
of its own package only. Below storage nothing imports the database toolkits; only the CLI
imports typer and rich. The checker is run on the real tree and on a planted upward import,
so that a contract which can no longer fail is noticed.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "factcheck"

# Lowest first. Packages on one line are siblings: they may not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("settings_text",),  # the secret mask and text checks config, storage and cli share
    ("config", "domain"),
    ("normalising",),
    ("fetching", "extraction", "verdicts"),
    ("declarations",),
    ("spotting",),  # claim spotting: text -> ranked checkable sentences and drafts (pure)
    ("storage",),
    ("verification",),
    ("editorial",),
    ("reporting",),  # the HTML report: reads storage and editorial, writes a static site
    ("demo",),
    ("cli",),
    ("__main__",),
)
DATABASE = ("sqlmodel", "sqlalchemy", "alembic", "psycopg")
CLI_ONLY = ("typer", "rich", "click")
STORAGE_LAYER = next(i for i, layer in enumerate(LAYERS) if "storage" in layer)


def _layer_of(module: str) -> int:
    top = module.split(".")[1] if module.startswith("factcheck.") else module
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    raise AssertionError(f"factcheck.{top} is in no layer: add it to LAYERS")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from factcheck.storage import db` imports factcheck.storage.db
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(package: Path) -> list[str]:
    """Every import in the tree at `package` that breaks the contract, as readable lines."""
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts == ("__init__",):
            continue
        top = parts[0]
        name = "factcheck." + ".".join(parts)
        layer = _layer_of(top)
        seen: set[str] = set()
        for imported in sorted(_imports(path)):
            if imported.startswith("factcheck."):
                other = imported.split(".")[1]
                if other in seen or other == top:
                    continue
                seen.add(other)
                other_layer = _layer_of(other)
                if other_layer >= layer:
                    found.append(f"{name} imports {imported} (layer {layer} -> {other_layer})")
            elif imported.startswith(DATABASE) and layer < STORAGE_LAYER:
                found.append(f"{name} imports the database toolkit {imported}")
            elif imported.startswith(CLI_ONLY) and top not in ("cli", "__main__"):
                found.append(f"{name} imports the CLI toolkit {imported}")
    return found


def test_the_tree_keeps_the_import_contract() -> None:
    assert violations(PACKAGE) == []


def test_every_package_says_its_job_in_one_line() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.parent.name} has no docstring"
        assert doc.splitlines()[0].strip(), init.parent.name


@pytest.mark.parametrize(
    ("where", "planted", "expected"),
    [
        ("normalising/planted.py", "from factcheck.storage import db\n", "layer 3 -> 7"),
        ("fetching/planted.py", "from factcheck.extraction import rules\n", "layer 4 -> 4"),
        ("extraction/planted.py", "import sqlalchemy\n", "database toolkit sqlalchemy"),
        ("storage/planted.py", "import rich\n", "CLI toolkit rich"),
        ("verdicts/planted.py", "from factcheck.cli import common\n", "layer 4 -> 12"),
    ],
)
def test_a_planted_bad_import_is_caught(
    tmp_path: Path, where: str, planted: str, expected: str
) -> None:
    copy = tmp_path / "factcheck"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "pages"))
    (copy / where).write_text(planted, encoding="utf-8")
    found = violations(copy)
    assert len(found) == 1, found
    assert expected in found[0]
