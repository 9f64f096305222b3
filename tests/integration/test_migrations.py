"""Migrations on every backend: down to base and up again with rows in the tables, and no drift."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlmodel import select

from factcheck.declarations.inputs import rule_fingerprint
from factcheck.domain import VerdictAction
from factcheck.storage import db
from factcheck.storage.models import Claim, Run, Verdict
from tests.support import REPO, DatabaseUnderTest, database_state, run_cli, seed


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


def test_verdict_action_from_rows_written_before_it(database: DatabaseUnderTest) -> None:
    """0004 -> 0005 with rows in it: a system verdict, an override and a lift (old marker)."""
    db.downgrade(database.engine, "0004")
    at = "2026-11-01 12:00:00"
    with database.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO claim (id, key, statement, language, statement_en, speaker, subject,"
                " property, kind, comparison, status, created_at, updated_at) VALUES (1, 'c',"
                " 's', 'en', '', '', '', '', 'text', 'approx', 'active', :at, :at)"
            ),
            {"at": at},
        )
        insert = sa.text(
            "INSERT INTO verdict (id, claim_id, label, confidence, reason, figures,"
            " evidence_ids, set_by, editor, note, created_at)"
            " VALUES (:id, 1, :label, '1', 'r', :figures, '[]', :set_by, :editor, '', :at)"
        )
        for id_, label, figures, set_by, editor in [
            (1, "supported", '{"found": "5"}', "system", None),
            (2, "refuted", "{}", "editor", "ann"),
            (3, "supported", '{"override": "lifted"}', "editor", "ann"),
        ]:
            conn.execute(
                insert,
                {
                    "id": id_,
                    "label": label,
                    "figures": figures,
                    "set_by": set_by,
                    "editor": editor,
                    "at": at,
                },
            )
    db.upgrade(database.engine)
    with db.session_scope(database.engine) as session:
        rows = session.exec(select(Verdict).order_by(Verdict.id)).all()  # type: ignore[arg-type]
        assert [(v.id, v.action, v.figures) for v in rows] == [
            (1, VerdictAction.JUDGED, {"found": "5"}),
            (2, VerdictAction.OVERRIDE, {}),
            (3, VerdictAction.LIFT, {}),  # the column says it now: the marker is gone
        ]
    db.downgrade(database.engine, "0004")  # and back: the marker returns on the lift
    with database.engine.connect() as conn:
        figures = conn.execute(sa.text("SELECT figures FROM verdict ORDER BY id")).scalars()
        assert [json.loads(f) if isinstance(f, str) else f for f in figures] == [
            {"found": "5"},
            {},
            {"override": "lifted"},
        ]


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


def test_a_newer_schema_is_refused_in_one_line(database: DatabaseUnderTest) -> None:
    """A database migrated by a newer factcheck: every command says so, exit 1, nothing changes."""
    seed(database)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff0000beef'"))
    before = database_state(database)
    expected = (
        "error: database is at revision ffff0000beef, newer than this factcheck: upgrade factcheck"
    )
    for args in (("claim", "list"), ("db", "current"), ("db", "upgrade"), ("init",)):
        result = run_cli(*args, db_url=database.url)
        assert result.code == 1, (args, result.stderr)
        assert result.stderr.strip().splitlines() == [expected], (args, result.stderr)
    with pytest.raises(db.NewerSchemaError):
        db.check_at_head(database.engine)
    with pytest.raises(db.NewerSchemaError):
        db.upgrade(database.engine)
    assert database_state(database) == before


def test_upgrade_to_an_unknown_target_is_one_line(database: DatabaseUnderTest) -> None:
    result = run_cli("db", "upgrade", "nosuchrev", db_url=database.url)
    assert result.code == 2  # a usage error: the target names no revision of this factcheck
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown revision 'nosuchrev'"), lines
    assert db.current_revision(database.engine) == db.head_revision()


def test_issue_10_revisions_carry_old_claims_and_rules(database: DatabaseUnderTest) -> None:
    """0005 -> head with rows: a ratio declared lt becomes less_than 1 (0006; the amount stored
    beside lt was never used, lt compared with 1), an old-dialect
    key glob becomes RFC 9535 and its evidence's fingerprint follows it (0007)."""
    db.downgrade(database.engine, "0005")
    at, old_rule = "2026-11-01 12:00:00", '$[?key~"*llama*405b*"]'
    options = {"unit": "USD/token"}
    with database.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO claim (id, key, statement, language, statement_en, speaker, subject,"
                " property, kind, comparison, expected_amount, status, created_at, updated_at)"
                " VALUES (1, 'c', 's', 'en', '', '', '', '', 'ratio', 'lt', '0.5', 'active',"
                " :at, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            sa.text(
                "INSERT INTO source (id, key, url, format, title, publisher, recheck_hours,"
                " created_at, updated_at) VALUES (1, 'p', 'https://example.org/p.json', 'json',"
                " '', '', 24, :at, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            sa.text(
                "INSERT INTO claimsource (id, claim_id, source_id, rule_kind, rule, rule_options,"
                " role, self_published, authoritative, note) VALUES (1, 1, 1, 'json_path', :rule,"
                " :options, 'numerator', false, false, '')"
            ),
            {"rule": old_rule, "options": json.dumps(options)},
        )
        conn.execute(
            sa.text("INSERT INTO run (id, trigger, status, started_at, claims_count,"
                    " sources_count, errors_count, changes_count, note)"
                    " VALUES (1, 'manual', 'succeeded', :at, 1, 1, 0, 0, '')"),
            {"at": at},
        )  # fmt: skip
        conn.execute(
            sa.text(
                "INSERT INTO evidence (id, run_id, claim_id, source_id, role, rule_kind, rule,"
                " rule_fingerprint, fetched_at, hits, stance, reused) VALUES (1, 1, 1, 1,"
                " 'numerator', 'json_path', :rule, :fp, :at, '[]', 'none', false)"
            ),
            {"rule": old_rule, "fp": rule_fingerprint("json_path", old_rule, options), "at": at},
        )
    db.upgrade(database.engine)
    new_rule = "$[?match(#, '(?is).*llama.*405b.*')]"
    with database.engine.connect() as conn:
        claim = conn.execute(sa.text("SELECT relation, expected_amount FROM claim")).one()
        rule = conn.execute(sa.text("SELECT rule FROM claimsource")).scalar_one()
        fp, ran, url = conn.execute(
            sa.text("SELECT rule_fingerprint, rule, url FROM evidence")
        ).one()
    assert tuple(claim) == ("less_than", "1")
    assert rule == new_rule
    assert fp == rule_fingerprint("json_path", new_rule, options)  # the standing evidence counts
    assert ran == old_rule and url is None  # history keeps what ran; old rows count as current


def test_the_start_up_head_is_alembics_head() -> None:
    """Commands recognise a database at head with one query (`db.HEAD_REVISION`): a new
    migration must move that constant too, or every command would load Alembic again."""
    assert db.head_revision() == db.HEAD_REVISION
