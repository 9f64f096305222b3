"""Migrations on every backend: down to base and up again with rows in the tables, and no drift."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from sqlmodel import select

from factcheck.storage import db
from factcheck.storage.models import Claim, Run, Verdict
from tests.support import REPO, DatabaseUnderTest, seed


def test_head_base_head_with_rows(database: DatabaseUnderTest) -> None:
    seed(database)
    with db.session_scope(database.engine) as session:
        run = Run(trigger="manual")
        session.add(run)
        session.flush()
        claim = session.exec(select(Claim)).first()
        assert claim is not None and claim.id is not None
        session.add(
            Verdict(
                claim_id=claim.id, run_id=run.id, label="supported", confidence="0.5", reason="r"
            )
        )
    assert db.current_revision(database.engine) == db.head_revision()
    db.downgrade(database.engine, "base")
    assert db.current_revision(database.engine) is None
    tables = set(sa.inspect(database.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    db.upgrade(database.engine)
    assert db.current_revision(database.engine) == db.head_revision()
    seed(database)  # the schema takes rows again
    with db.session_scope(database.engine) as session:
        assert len(session.exec(select(Claim)).all()) == 8


def test_alembic_check_reports_no_drift(database: DatabaseUnderTest) -> None:
    # APScheduler's job table lives in the same database and must be ignored by the check.
    with database.engine.begin() as conn:
        blob = "BYTEA" if database.backend == "postgresql" else "BLOB"
        conn.exec_driver_sql(
            "CREATE TABLE apscheduler_jobs "
            f"(id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, job_state {blob})"
        )
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "check"],
        cwd=REPO,
        env={"FACTCHECK_DATABASE_URL": database.url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr
