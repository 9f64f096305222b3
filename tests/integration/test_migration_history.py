"""Every older revision upgrades to head with rows in it, on every backend.

A database in the field can be at any revision this project ever shipped. For each one, the
test fills a database at head (claims, sources, links, a run, evidence, system and editor
verdicts), walks it down to that revision (as an older factcheck would have left it), then
upgrades to head again and checks that no row was lost and that the code can read them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from factcheck.config import Settings
from factcheck.domain import VerdictAction
from factcheck.editorial import overrides
from factcheck.storage import catalog, db, verdicts
from factcheck.storage.models import Claim, Evidence, Run, Source, Verdict
from tests.support import DatabaseUnderTest, seed

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BASE_TABLES = ("claim", "source", "claimsource", "claimtag", "run", "evidence", "verdict")


def _older_revisions() -> list[str]:
    """Every revision but head, oldest first, read from the scripts themselves."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    chain = [s.revision for s in scripts.walk_revisions("base", "heads")]
    return list(reversed(chain))[:-1]


def _fill(database: DatabaseUnderTest) -> dict[str, int]:
    seed(database)
    with db.session_scope(database.engine) as session:
        run = Run(trigger="manual", started_at=NOW)
        session.add(run)
        session.flush()
        claim = session.exec(select(Claim).order_by(Claim.id)).first()  # type: ignore[arg-type]
        source = session.exec(select(Source).order_by(Source.id)).first()  # type: ignore[arg-type]
        assert claim is not None and claim.id is not None and source is not None
        session.add(
            Evidence(
                run_id=run.id,
                claim_id=claim.id,
                source_id=source.id,
                role="value",
                rule_kind="regex",
                rule=r"(?P<value>\d+B)",
                fetched_at=NOW,
                http_status=200,
                value="405000000000",
                unit="parameters",
                raw="405B",
                excerpt="a 405B model",
            )
        )
        session.add(
            Verdict(
                claim_id=claim.id,
                run_id=run.id,
                label="supported",
                confidence="0.5",
                reason="found 405B",
                set_by="system",
                action=VerdictAction.JUDGED.value,
                created_at=NOW,
            )
        )
        session.flush()
        overrides.set_override(
            session=session, key=claim.key, label="mixed", editor="ann", note="n", now=NOW
        )
        overrides.lift_override(session=session, key=claim.key, editor="ann", note="n", now=NOW)
    return _counts(database)


def _counts(database: DatabaseUnderTest) -> dict[str, int]:
    with database.engine.connect() as conn:
        return {
            name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in BASE_TABLES
        }


@pytest.mark.parametrize("revision", _older_revisions())
def test_an_older_database_with_rows_upgrades_to_head(
    database: DatabaseUnderTest, revision: str
) -> None:
    before = _fill(database)
    assert before["verdict"] == 3 and before["evidence"] == 1 and before["claim"] >= 8
    db.downgrade(database.engine, revision)
    assert db.current_revision(database.engine) == revision
    db.upgrade(database.engine)
    assert db.current_revision(database.engine) == db.head_revision()
    assert _counts(database) == before
    with db.session_scope(database.engine) as session:
        rows = session.exec(select(Verdict).order_by(Verdict.id)).all()  # type: ignore[arg-type]
        assert [v.action for v in rows] == [
            VerdictAction.JUDGED,
            VerdictAction.OVERRIDE,
            VerdictAction.LIFT,
        ]
        claim_id = rows[0].claim_id
        standing = verdicts.effective_verdicts(session=session, claim_ids=[claim_id])
        assert standing[claim_id].label == "supported"  # the lift holds after the round trip
        listed = catalog.list_claims(session=session, settings=Settings())
        assert len(listed) == before["claim"]
