"""Alembic environment: the URL comes from factcheck's settings, never from alembic.ini.

In-process callers (`factcheck.storage.db.upgrade`) hand over a connection in `config.attributes`;
the `alembic` command line builds an engine from `FACTCHECK_DATABASE_URL` like the CLI does.
APScheduler's job table and procrastinate's tables (migration 0009 applies its schema) live in
the same database but are not ours: they are left out of autogenerate and `alembic check`.
"""

from __future__ import annotations

from alembic import context
from sqlmodel.sql.sqltypes import AutoString

from factcheck.config import load_settings
from factcheck.storage.db import make_engine
from factcheck.storage.models import UTCDateTime, metadata

config = context.config
target_metadata = metadata

FOREIGN_TABLES = {"apscheduler_jobs"}
FOREIGN_PREFIX = "procrastinate_"


def _foreign(name: object) -> bool:
    return isinstance(name, str) and (name in FOREIGN_TABLES or name.startswith(FOREIGN_PREFIX))


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and _foreign(name):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and _foreign(getattr(table, "name", None)))


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render application column types as the plain types they store, so that a migration
    never imports the models it predates (UTCDateTime -> DateTime(timezone=True))."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _run(**where: object) -> None:
    """Configure the same way online and offline, then migrate (`where`: a connection or a URL)."""
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
        render_item=render_item,
        **where,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    _run(url=load_settings().database_url, literal_binds=True)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection=connection)
        return
    engine = make_engine(load_settings().database_url, must_exist=False)
    with engine.begin() as conn:
        _run(connection=conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
