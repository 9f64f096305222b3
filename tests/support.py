"""Test helpers shared by the fixtures and the tests: backends, the CLI runner, database dumps."""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import logging
import os
import signal
import subprocess as _subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factcheck.config import Settings
from factcheck.storage import db

PG_ADMIN_DSN = os.environ.get("FACTCHECK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [
    b for b in os.environ.get("FACTCHECK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_USER_AGENT = "factcheck-test/1.0 (+https://example.org/factcheck; contact: test@example.org)"
BIN = Path(sys.executable).parent  # the venv bin (no realpath: the venv python is a symlink)


class FastSettings(Protocol):
    """The `fast_settings` fixture: `fast_settings(read_timeout_s=0.1)` -> Settings."""

    def __call__(self, **changes: object) -> Settings: ...


def make_fast_settings(**changes: object) -> Settings:
    """Settings for tests that fetch from 127.0.0.1 (the `fast_settings` fixture; helpers that
    are not fixtures call this directly).

    Loopback allowed, robots not asked, no politeness delay, no retries or backoff, short
    timeouts (a failure costs well under a second), a capped Retry-After. A test that depends on
    one of these values (a retry count, a timeout) passes it explicitly.
    """
    return Settings(
        user_agent=TEST_USER_AGENT,
        allow_loopback=True,
        obey_robots=False,
        workers=2,
        per_host_concurrency=2,
        per_host_delay_s=0.0,
        connect_timeout_s=1.0,
        read_timeout_s=2.0,
        source_deadline_s=10.0,
        retries=0,
        backoff_factor_s=0.0,
        retry_after_cap_s=0.2,
    ).with_overrides(**changes)


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


def cli_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a CLI call sees: ours without FACTCHECK_*, wide columns, then `env`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    return {**inherited, "COLUMNS": "200", **(env or {})}


def run_cli(
    *args: str,
    db_url: str | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
    subprocess: bool = False,
) -> Result:
    """Run `factcheck` through its console-script entry point; stdout and stderr kept apart.

    In-process by default (`factcheck.cli.main`, so error translation and exit codes are the
    real ones) because a process start costs a second of imports per call. `subprocess=True`
    runs the installed script for what needs a real process: signals, locks held across
    processes, start-up. `timeout` bounds only the subprocess.
    """
    argv = [*(("--db", db_url) if db_url is not None else ()), *args]
    if subprocess:
        return _run_process(argv, cwd=cwd, env=cli_env(env), stdin=stdin, timeout=timeout)
    return _run_in_process(argv, cwd=cwd, env=cli_env(env), stdin=stdin)


def _run_process(
    argv: list[str], *, cwd: Path | None, env: dict[str, str], stdin: str | None, timeout: float
) -> Result:
    done = _subprocess.run(
        [factcheck_bin(), *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def _run_in_process(
    argv: list[str], *, cwd: Path | None, env: dict[str, str], stdin: str | None
) -> Result:
    from factcheck.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    with _isolated(cwd=cwd, env=env, stdin=stdin, stdout=out, stderr=err):
        try:
            if "argv" in inspect.signature(main).parameters:
                main(argv=argv)  # type: ignore[call-arg]
            else:
                sys.argv = [factcheck_bin(), *argv]
                main()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:  # what the interpreter would print before exiting 1
            sys.stderr.write(traceback.format_exc())
            code = 1
    return Result(code, _as_text(out), _as_text(err))


def _exit_code(exc: SystemExit) -> int:
    """The status `sys.exit(x)` gives a process: None is 0, an int itself, anything else 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(f"{exc.code}\n")
    return 1


def _as_text(buffer: io.BytesIO) -> str:
    """Decoded like `subprocess.run(text=True)`: UTF-8, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(buffer.getvalue()), encoding="utf-8").read()


@contextmanager
def _isolated(
    *,
    cwd: Path | None,
    env: dict[str, str],
    stdin: str | None,
    stdout: io.BytesIO,
    stderr: io.BytesIO,
) -> Iterator[None]:
    """What a process gets fresh: environment, argv, streams, working directory, temp dir,
    logging, signal handlers; and engines disposed at exit, as a process exit would."""
    saved_env = dict(os.environ)
    saved_argv = sys.argv
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_cwd = os.getcwd()
    saved_tempdir = tempfile.tempdir
    saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved_loggers = [(lg, lg.level, lg.disabled, lg.propagate, lg.handlers[:]) for lg in loggers]
    engines: set[Engine] = set()

    def seen(connection: sa.Connection) -> None:
        engines.add(connection.engine)

    streams = [
        io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
        for buffer in (stdout, stderr)
    ]
    logging.getLogger().handlers = []  # so that the CLI's basicConfig takes effect
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None
    sys.stdin = io.TextIOWrapper(io.BytesIO((stdin or "").encode()), encoding="utf-8")
    sys.stdout, sys.stderr = streams
    if cwd is not None:
        os.chdir(cwd)
    sa.event.listen(Engine, "engine_connect", seen)
    try:
        yield
    finally:
        sa.event.remove(Engine, "engine_connect", seen)
        for engine in engines:
            engine.dispose()
        for stream in streams:
            stream.flush()
            stream.detach()
        os.chdir(saved_cwd)
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        tempfile.tempdir = saved_tempdir
        os.environ.clear()
        os.environ.update(saved_env)
        if threading.current_thread() is threading.main_thread():
            for signum, handler in saved_signals.items():
                signal.signal(signum, handler)
        for lg, level, disabled, propagate, handlers in saved_loggers:
            for handler in lg.handlers:
                if handler not in handlers:
                    handler.close()
            lg.setLevel(level)
            lg.disabled, lg.propagate, lg.handlers = disabled, propagate, handlers


def seed(database: DatabaseUnderTest, *paths: Path) -> None:
    """Import declared files in-process (faster than the CLI when the import is not under test)."""
    from factcheck.declarations.files import read_declarations
    from factcheck.domain import utcnow
    from factcheck.storage import catalog

    with db.session_scope(database.engine) as session:
        declared = read_declarations(list(paths) or [REPO / "sources"])
        catalog.apply_declarations(session=session, declared=declared, now=utcnow())
