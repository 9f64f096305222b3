"""Test helpers shared by the fixtures and the tests: backends, the CLI runner, database dumps."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factcheck.storage import db

PG_ADMIN_DSN = os.environ.get("FACTCHECK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [
    b for b in os.environ.get("FACTCHECK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BIN = Path(sys.executable).parent  # the venv bin (no realpath: the venv python is a symlink)


@dataclass(frozen=True)
class DatabaseUnderTest:
    backend: str
    url: str
    engine: Engine


def dump(engine: Engine) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Every row of every table, in a stable order: 'the database did not change' made exact."""
    inspector = sa.inspect(engine)
    tables = sorted(inspector.get_table_names())
    result = []
    with engine.connect() as conn:
        for name in tables:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            order = list(table.primary_key.columns) or [
                c for c in table.columns if not isinstance(c.type, sa.JSON)
            ]
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            result.append((name, [tuple(r) for r in rows]))
    return result


def database_state(database: DatabaseUnderTest) -> tuple[object, str | None]:
    """Every row, and for SQLite the file's bytes hash after a checkpoint."""
    rows = dump(database.engine)
    digest = None
    if database.backend == "sqlite":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.engine.dispose()
        path = db.sqlite_path(database.url)
        assert path is not None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return rows, digest


def factcheck_bin() -> str:
    """The installed console script, next to the interpreter running the tests."""
    path = BIN / "factcheck"
    if not path.exists():
        raise RuntimeError(f"factcheck is not installed in this environment ({path})")
    return str(path)


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


def run_cli(
    *args: str,
    db_url: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> Result:
    """Run the real `factcheck` entry point in a subprocess; stdout and stderr kept apart."""
    command = [factcheck_bin()]
    if db_url is not None:
        command += ["--db", db_url]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    full_env = {**inherited, "COLUMNS": "200", **(env or {})}
    done = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        input=stdin,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def seed(database: DatabaseUnderTest, *paths: Path) -> None:
    """Import declared files in-process (faster than the CLI when the import is not under test)."""
    from factcheck.declarations.files import read_declarations
    from factcheck.domain import utcnow
    from factcheck.storage import catalog

    with db.session_scope(database.engine) as session:
        declared = read_declarations(list(paths) or [REPO / "sources"])
        catalog.apply_declarations(session=session, declared=declared, now=utcnow())
