"""Procrastinate's own schema on PostgreSQL: the job queue of runs spread over workers; and
an index on rununit (run_id, state), so "is anything of the run left?" stays cheap.

Read from the installed procrastinate (`procrastinate/sql/schema.sql`), so the schema is the
one its workers expect, and `factcheck db upgrade` stays the one setup step. SQLite has no
workers (the executor there is always local): nothing to do. Its tables, types and functions
are procrastinate's, not ours: migrations/env.py leaves them out of `alembic check`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:00:00
"""

from collections.abc import Sequence
from importlib.resources import files

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OBJECTS = """
SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p
  WHERE p.proname LIKE 'procrastinate%' AND p.pronamespace = current_schema()::regnamespace
UNION ALL
SELECT 'TABLE', quote_ident(c.relname) FROM pg_class c
  WHERE c.relkind = 'r' AND c.relname LIKE 'procrastinate%'
  AND c.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT 'TYPE', quote_ident(t.typname) FROM pg_type t
  WHERE t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c')
  AND t.typnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'r')
"""


def upgrade() -> None:
    with op.batch_alter_table("rununit") as batch:
        batch.create_index("ix_rununit_run_id_state", ["run_id", "state"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = files("procrastinate").joinpath("sql", "schema.sql").read_text(encoding="utf-8")
    # straight to psycopg without parameters: the script's `%` are not placeholders
    cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(schema)
    finally:
        cursor.close()


def downgrade() -> None:
    with op.batch_alter_table("rununit") as batch:
        batch.drop_index("ix_rununit_run_id_state")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    found = bind.execute(sa.text(_OBJECTS)).all()
    order = {"TABLE": 0, "FUNCTION": 1, "TYPE": 2}
    for kind, name in sorted(found, key=lambda row: order[row[0]]):
        bind.exec_driver_sql(f"DROP {kind} IF EXISTS {name} CASCADE")
