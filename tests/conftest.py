"""Shared fixtures: a fresh database per test on every backend, built by the real migrations.

Backends: SQLite (a new file) and PostgreSQL (a new schema in the `test` database on
127.0.0.1:5432, selected through `search_path`). FACTCHECK_TEST_BACKENDS chooses
(default "sqlite,postgresql"). Outside CI an unreachable PostgreSQL skips its runs with a
reason; in CI (CI=true) it is an error, so PostgreSQL runs can never silently vanish.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factcheck import db

PG_ADMIN_DSN = os.environ.get("FACTCHECK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("FACTCHECK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


@dataclass(frozen=True)
class TestDatabase:
    backend: str
    url: str
    engine: Engine


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def pg_status() -> str | None:
    return _pg_available() if "postgresql" in BACKENDS else "not selected"


def _sqlite_db(tmp_path: Path) -> Iterator[TestDatabase]:
    url = f"sqlite:///{tmp_path / 'factcheck.db'}"
    engine = db.make_engine(url, must_exist=False)
    db.upgrade(engine)
    yield TestDatabase("sqlite", url, engine)
    engine.dispose()


def _pg_db(pg_status: str | None) -> Iterator[TestDatabase]:
    if pg_status is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and unreachable: {pg_status}")
        pytest.skip(f"PostgreSQL unreachable: {pg_status}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_ADMIN_DSN}?options=-csearch_path%3D{schema}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    try:
        yield TestDatabase("postgresql", url, engine)
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        yield from _sqlite_db(tmp_path)
    else:
        yield from _pg_db(request.getfixturevalue("pg_status"))


def dump(engine: Engine) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Every row of every table, in a stable order: 'the database did not change' made exact."""
    inspector = sa.inspect(engine)
    tables = sorted(inspector.get_table_names())
    result = []
    with engine.connect() as conn:
        for name in tables:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = conn.execute(sa.select(table).order_by(*table.columns)).all()
            result.append((name, [tuple(r) for r in rows]))
    return result
