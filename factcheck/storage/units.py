"""The units of a run spread over workers: one row per (run, source), and its state.

queued -> running (a worker took it; attempts counted, the taker named host:pid) -> done or
failed. A unit's evidence and its `done` are written in one transaction, with the unit's row
locked (`lock_unit`), so a unit retried after its worker died finds itself done and writes
nothing twice. The run is judged once, when nothing is left queued or running: `claim_judging`
lets exactly one worker do it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from factcheck.domain import RunStatus
from factcheck.storage.advisorylock import advisory_key
from factcheck.storage.models import Claim, ClaimSource, Evidence, Run, RunUnit, Source

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)
FINISHED = (DONE, FAILED)
ENDED = "ended"  # what take_unit says of an unfinished unit whose run is no longer running
ERROR_CHARS = 2000

_UNIT = RunUnit.__table__  # type: ignore[attr-defined]
_RUN = Run.__table__  # type: ignore[attr-defined]
_EVIDENCE = Evidence.__table__  # type: ignore[attr-defined]


def insert_units(*, session: Session, run_id: int, source_ids: Iterable[int], now: datetime) -> int:
    """Queue one unit per source of the run (one executemany); returns how many."""
    rows = [
        {"run_id": run_id, "source_id": s, "state": QUEUED, "attempts": 0, "updated_at": now}
        for s in source_ids
    ]
    if rows:
        session.connection().execute(sa.insert(_UNIT), rows)
    return len(rows)


def _where(run_id: int, source_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(_UNIT.c.run_id == run_id, _UNIT.c.source_id == source_id)


def take_unit(
    *, session: Session, run_id: int, source_id: int, worker: str, now: datetime
) -> tuple[str, int] | None:
    """Mark a unit running for `worker` (attempts + 1) unless it is finished or its run is no
    longer running (a launch that failed half-way); returns its (state, attempts) after the
    take (ENDED for an unfinished unit of a run no longer running), or None when the run has
    no such unit."""
    running = sa.select(_RUN.c.id).where(
        _RUN.c.id == run_id, _RUN.c.status == RunStatus.RUNNING.value
    )
    row = (
        session.connection()
        .execute(
            sa.update(_UNIT)
            .where(_where(run_id, source_id), _UNIT.c.state.not_in(FINISHED), sa.exists(running))
            .values(state=RUNNING, attempts=_UNIT.c.attempts + 1, worker=worker, updated_at=now)
            .returning(_UNIT.c.state, _UNIT.c.attempts)
        )
        .first()
    )
    if row is not None:
        return row.state, row.attempts
    found = (
        session.connection()
        .execute(sa.select(_UNIT.c.state, _UNIT.c.attempts).where(_where(run_id, source_id)))
        .first()
    )
    if found is None:
        return None
    return (found.state if found.state in FINISHED else ENDED), found.attempts


def lock_unit(*, session: Session, run_id: int, source_id: int) -> str | None:
    """The unit's state, its row locked until the transaction ends (the recording guard)."""
    query = sa.select(_UNIT.c.state).where(_where(run_id, source_id)).with_for_update()
    return session.connection().execute(query).scalar_one_or_none()


def finish_unit(
    *,
    session: Session,
    run_id: int,
    source_id: int,
    state: str,
    now: datetime,
    error: str | None = None,
) -> None:
    """Record a unit done or failed (in the transaction of its evidence)."""
    assert state in FINISHED
    session.connection().execute(
        sa.update(_UNIT)
        .where(_where(run_id, source_id))
        .values(state=state, updated_at=now, error_message=error and error[:ERROR_CHARS])
    )


def counts(*, session: Session, run_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per run: how many units are queued, running, done and failed (every state named)."""
    result = {run_id: dict.fromkeys(STATES, 0) for run_id in run_ids}
    if not run_ids:
        return result
    query = (
        sa.select(_UNIT.c.run_id, _UNIT.c.state, sa.func.count())
        .where(_UNIT.c.run_id.in_(list(run_ids)))
        .group_by(_UNIT.c.run_id, _UNIT.c.state)
    )
    for run_id, state, count in session.connection().execute(query):
        result[run_id][state] = count
    return result


def anything_left(*, session: Session, run_id: int) -> bool:
    """Is any unit of the run still queued or running?"""
    query = sa.select(_UNIT.c.source_id).where(
        _UNIT.c.run_id == run_id, _UNIT.c.state.in_((QUEUED, RUNNING))
    )
    return session.connection().execute(query.limit(1)).first() is not None


def linked_claims(*, session: Session, source_id: int) -> list[int]:
    """The active claims linked to a source: a unit's claim scope when its run named none
    (so a worker plans one source's links, not every active claim)."""
    link, claim = ClaimSource.__table__, Claim.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(link.c.claim_id)
        .join(claim, claim.c.id == link.c.claim_id)
        .where(link.c.source_id == source_id, claim.c.status == "active")
        .distinct()
    )
    return list(session.connection().execute(query).scalars())


def spread_run_in_progress(*, session: Session) -> int | None:
    """A run still `running` on the workers (it has units): it is not an orphan."""
    query = (
        sa.select(_RUN.c.id)
        .where(
            _RUN.c.status == RunStatus.RUNNING.value,
            sa.exists().where(_UNIT.c.run_id == _RUN.c.id),
        )
        .order_by(_RUN.c.id.desc())
        .limit(1)
    )
    return session.connection().execute(query).scalar_one_or_none()


def sources_with_errors(*, session: Session, run_id: int) -> int:
    """How many of the run's sources have an error in their evidence (the run's errors)."""
    query = sa.select(sa.func.count(sa.distinct(_EVIDENCE.c.source_id))).where(
        _EVIDENCE.c.run_id == run_id, _EVIDENCE.c.error_code.is_not(None)
    )
    return int(session.connection().execute(query).scalar_one())


def claim_judging(*, session: Session, run_id: int) -> bool:
    """True for exactly one caller per run: the run is still running, and this transaction
    holds the run's judging lock (PostgreSQL, released at commit or rollback; one judge
    crashing mid-way leaves the run running for the retried unit to judge)."""
    schema = session.connection().execute(sa.text("SELECT current_schema()")).scalar_one()
    key = advisory_key(f"judge-run-{run_id}", str(schema))
    got = session.connection().execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
    if not got.scalar_one():
        return False
    query = sa.select(_RUN.c.status).where(_RUN.c.id == run_id).with_for_update()
    return session.connection().execute(query).scalar_one_or_none() == RunStatus.RUNNING.value


_JOBLESS = sa.text(
    "SELECT u.run_id, u.source_id, ("
    "  SELECT j.args -> 'claim_ids' FROM procrastinate_jobs j WHERE j.task_name = :task"
    "  AND j.args ->> 'run_id' = u.run_id::text LIMIT 1) AS scope "
    "FROM rununit u JOIN run r ON r.id = u.run_id "
    "WHERE r.status = 'running' AND u.state IN ('queued', 'running') AND u.updated_at < :before "
    "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = :task "
    "  AND j.status IN ('todo', 'doing') AND j.args ->> 'run_id' = u.run_id::text "
    "  AND j.args ->> 'source_id' = u.source_id::text) "
    "ORDER BY u.run_id, u.source_id LIMIT :limit"
)


def jobless_units(
    *, session: Session, task: str, before: datetime, limit: int = 1000
) -> list[tuple[int, int, list[int] | None]]:
    """Units left queued or running, untouched since `before`, that no job will ever do: their
    starter died between writing them and deferring them (or their job was lost). Each comes
    with its run's claim scope, read from a sibling job (None: every claim, as when no sibling
    is left). PostgreSQL only, as procrastinate is."""
    rows = session.connection().execute(_JOBLESS, {"task": task, "before": before, "limit": limit})
    return [(run_id, source_id, scope) for run_id, source_id, scope in rows]


def run_failures(*, session: Session, run_id: int) -> list[tuple[str, str, int | None, str, str]]:
    """Each source the run recorded with an error, once: (key, code, HTTP status, URL,
    message), as `verify` lists them; a source's first failed row speaks for it."""
    source = Source.__table__  # type: ignore[attr-defined]
    first = (
        sa.select(sa.func.min(_EVIDENCE.c.id))
        .where(_EVIDENCE.c.run_id == run_id, _EVIDENCE.c.error_code.is_not(None))
        .group_by(_EVIDENCE.c.source_id)
    )
    query = (
        sa.select(
            source.c.key,
            _EVIDENCE.c.error_code,
            _EVIDENCE.c.http_status,
            sa.func.coalesce(_EVIDENCE.c.url, source.c.url),
            sa.func.coalesce(_EVIDENCE.c.error_message, ""),
        )
        .join(source, source.c.id == _EVIDENCE.c.source_id)
        .where(_EVIDENCE.c.id.in_(first.scalar_subquery()))
        .order_by(source.c.key)
    )
    return [tuple(row) for row in session.connection().execute(query)]
