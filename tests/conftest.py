"""Shared fixtures: a fresh database per test on every backend, built by the real migrations.

Backends: SQLite (a new file) and PostgreSQL (a new schema in the `test` database on
127.0.0.1:5432, selected through `search_path`). FACTCHECK_TEST_BACKENDS chooses
(default "sqlite,postgresql"). Outside CI an unreachable PostgreSQL skips its runs with a
reason; in CI (CI=true) it is an error, so PostgreSQL runs can never silently vanish.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from factcheck.storage import db
from tests.servers import PageServer
from tests.support import (
    BACKENDS,
    IN_CI,
    PG_ADMIN_DSN,
    DatabaseUnderTest,
    FastSettings,
    Result,
    make_fast_settings,
    run_cli,
)

for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
# xdist workers get COLUMNS=80; rich would fix the CLI's console width at import from it, and
# the in-process CLI would print narrow output where a process gets COLUMNS=200 (run_cli)
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """With `-p no:xdist`, accept the `-n`/`--dist` in pyproject's addopts and ignore them."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist (disabled)")
    # `_addoption`: a plugin may not add a lowercase short option through the public call;
    # xdist registers its own -n the same way
    group._addoption("-n", "--numprocesses", dest="numprocesses", help="ignored without xdist")
    group.addoption("--dist", dest="dist", help="ignored without xdist")


@pytest.fixture(scope="session")
def pg_status() -> str | None:
    """None when PostgreSQL answers, else why not."""
    if "postgresql" not in BACKENDS:
        return "not selected"
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def _sqlite_db(folder: Path) -> Iterator[DatabaseUnderTest]:
    url = f"sqlite:///{folder / 'factcheck.db'}"
    engine = db.make_engine(url, must_exist=False)
    db.upgrade(engine)
    yield DatabaseUnderTest("sqlite", url, engine)
    engine.dispose()


def _pg_db(pg_status: str | None) -> Iterator[DatabaseUnderTest]:
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
        yield DatabaseUnderTest("postgresql", url, engine)
    finally:
        engine.dispose()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseUnderTest]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        yield from _sqlite_db(tmp_path)
    else:
        yield from _pg_db(request.getfixturevalue("pg_status"))


@pytest.fixture(scope="module", params=BACKENDS)
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseUnderTest]:
    """One fresh, migrated database per backend shared by a module's tests: for a module
    whose tests each read a different part of one expensive run."""
    if request.param == "sqlite":
        yield from _sqlite_db(tmp_path_factory.mktemp("module_db"))
    else:
        yield from _pg_db(request.getfixturevalue("pg_status"))


@pytest.fixture
def cli(database: DatabaseUnderTest, tmp_path: Path) -> Callable[..., Result]:
    """`cli("claim", "list")` runs the CLI against this test's database, in-process;
    `cli(..., subprocess=True)` runs the installed script in a process of its own."""

    def call(*args: str, **kwargs: object) -> Result:
        kwargs.setdefault("cwd", tmp_path)
        return run_cli(*args, db_url=database.url, **kwargs)  # type: ignore[arg-type]

    return call


@pytest.fixture(scope="session")
def fast_settings() -> FastSettings:
    """`fast_settings(**changes)`: Settings for tests that fetch from 127.0.0.1 (tiny timeouts,
    no politeness delay, loopback allowed, retries 0; see `make_fast_settings`)."""
    return make_fast_settings


@pytest.fixture(scope="session")
def pages() -> Iterator[PageServer]:
    """The shared page server (tests/servers.py): one per session, or per xdist worker."""
    server = PageServer()
    yield server
    server.close()
