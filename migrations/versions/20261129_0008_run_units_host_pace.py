"""Run units and host pace: the state a run spread over workers on many machines shares.

`rununit` holds each (run, source) unit's state (queued, running, done, failed) so the run is
judged exactly once; `hostpace` holds, per host, when the next request may start, so the
per-host delay holds across machines. Local runs write neither.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rununit",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_rununit_run_id_run")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_rununit_source_id_source")
        ),
        sa.PrimaryKeyConstraint("run_id", "source_id", name=op.f("pk_rununit")),
    )
    op.create_table(
        "hostpace",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("next_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_hostpace")),
    )


def downgrade() -> None:
    op.drop_table("hostpace")
    op.drop_table("rununit")
