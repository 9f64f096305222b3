"""Engines, sessions and in-process migrations.

`make_engine` is the one place a connection is configured: SQLite gets WAL,
`synchronous=NORMAL`, a busy timeout and enforced foreign keys on every connection.
Nothing connects at import time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session

from factcheck.errors import ConfigError, DatabaseError
from factcheck.settings_text import mask_url

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
# The migration scripts are the package `factcheck.migrations` (the repository's top-level
# `migrations/`, mapped into the package by pyproject.toml), so that a wheel carries them.
MIGRATIONS_PACKAGE = "factcheck.migrations"


def migrations_dir() -> Path:
    """The folder of the migration scripts, wherever factcheck is installed."""
    from importlib.resources import files

    try:
        path = Path(str(files(MIGRATIONS_PACKAGE)))
    except ModuleNotFoundError:
        path = None
    if path is None or not (path / "env.py").is_file():
        raise ConfigError(f"the migrations ({MIGRATIONS_PACKAGE}) are missing from this install")
    return path


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    database = parsed.database
    if database.startswith("file:"):  # the URI form a read-only database is opened with
        from urllib.parse import unquote

        database = unquote(database.removeprefix("file:").split("?", 1)[0])
    return Path(database)


def _sqlite_pragmas(*, read_only: bool) -> Callable[[Any, Any], None]:
    """The connect hook: WAL is switched on only when it is not on already and the file can be
    written (switching writes the header), so a read-only database can still be read."""

    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not read_only:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return set_pragmas


def sqlite_writable(path: Path) -> bool:
    """Whether this process may write the database file and create its -wal/-shm files."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _read_only_url(path: Path) -> str:
    """A read-only SQLite URI. In a read-only folder with no -shm file, SQLite cannot share
    WAL state, so the file is opened immutable: nobody can be writing it from here either."""
    query = "mode=ro"
    shm = path.with_name(path.name + "-shm")
    if not os.access(path.parent, os.W_OK) and not shm.exists():
        query += "&immutable=1"
    return f"sqlite:///file:{quote(str(path.resolve()))}?{query}&uri=true"


def make_engine(url: str, *, must_exist: bool = True, read_only: bool | None = None) -> Engine:
    """An engine for `url`. With `must_exist`, a missing SQLite file is an error, not a new file.

    `read_only` (SQLite; default: when the file or its folder is not writable) opens the file
    read-only: read commands work, and a write fails with one line.
    """
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a port that is not a number fails here, not at connect)
    except (ArgumentError, ValueError):  # quoted masked: a URL may carry a password
        raise ConfigError(f"not a database URL: {mask_url(url)!r}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            if must_exist and not path.exists():
                raise DatabaseError(f"no database at {path}: run `factcheck init` first")
            if not path.parent.exists():
                raise DatabaseError(f"cannot create a database in {path.parent}: no such directory")
            if read_only is None:
                read_only = path.exists() and not sqlite_writable(path)
            if read_only:
                url = _read_only_url(path)
        engine = _create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas(read_only=bool(read_only)))
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    raise ConfigError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def _create_engine(url: str | sa.URL, **options: Any) -> Engine:
    """`sa.create_engine`; a driver that is not installed (`postgresql+nodriver://`) is a
    usage error naming the driver, not an internal one."""
    try:
        return sa.create_engine(url, **options)
    except ArgumentError as exc:  # NoSuchModuleError: the message names the driver, no password
        raise ConfigError(f"not a usable database URL: {_first_line(exc)}") from None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    except SQLAlchemyError as exc:
        raise DatabaseError(f"database error: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


# Alembic is imported where it is used: every CLI command starts faster without it.


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return heads[0]


def known_revision(revision: str) -> bool:
    """Whether this factcheck's migrations include `revision`."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


class NewerSchemaError(DatabaseError):
    """The database was migrated by a newer factcheck: this one cannot read or migrate it."""

    def __init__(self, revision: str) -> None:
        super().__init__(
            f"database is at revision {revision}, newer than this factcheck: upgrade factcheck"
        )
        self.revision = revision


def current_revision(engine: Engine, *, known: bool = False) -> str | None:
    """The database's schema revision (None: no schema). With `known`, a revision this
    factcheck does not have (a newer one) raises NewerSchemaError."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot reach the database: {_first_line(exc)}") from exc
    if known and revision is not None and not known_revision(revision):
        raise NewerSchemaError(revision)
    return revision


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations in-process on `engine`, in one transaction where the backend allows."""
    from alembic import command

    current_revision(engine, known=True)
    _run_alembic(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    current_revision(engine, known=True)
    _run_alembic(engine, lambda cfg: command.downgrade(cfg, revision))


def _run_alembic(engine: Engine, action: object) -> None:
    from alembic.util import CommandError

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            action(cfg)  # type: ignore[operator]
    except SQLAlchemyError as exc:
        raise DatabaseError(f"migration failed: {_first_line(exc)}") from exc
    except CommandError as exc:  # an unknown target revision, for one
        raise DatabaseError(f"migration failed: {_first_line(exc)}") from exc


# The newest migration's revision (tests/integration/test_migrations.py checks it against
# Alembic's head): a database already there is recognised with one query, without loading
# Alembic and every migration script, which was most of a short command's start-up.
HEAD_REVISION = "0009"


def _at_known_head(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return False  # no schema, or no database: the full check below says which
    return [row[0] for row in found] == [HEAD_REVISION]


def check_at_head(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not the code's."""
    if _at_known_head(engine):
        return
    current = current_revision(engine, known=True)
    head = head_revision()
    if current is None:
        raise DatabaseError("the database has no factcheck schema: run `factcheck init`")
    if current != head:
        raise DatabaseError(
            f"the database schema is at {current}, the code expects {head}: "
            "run `factcheck db upgrade`"
        )
