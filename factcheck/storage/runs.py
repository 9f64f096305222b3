"""The verification record: runs, snapshots and evidence, written and read back.

Evidence and verdicts are appended, never edited, with one exception made inside the run that
wrote them: the stance of this run's evidence rows is filled in when the run judges the claim
(it depends on the other sources of the claim, which are processed in parallel).

An unchanged source (304, or the same SHA-256) gets small evidence rows that point at the row
whose extraction they reuse (`reused_from_id`), so an unchanged night costs little space.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from factcheck.domain import Hit, Quantity, RunStatus
from factcheck.storage.models import Evidence, Run, Snapshot, Source, Verdict
from factcheck.storage.records import hits_from_json

SNAPSHOT_COMPRESSION_LEVEL = 6


# -- runs ---------------------------------------------------------------------------------------


def start_run(*, session: Session, trigger: str, now: datetime) -> Run:
    run = Run(trigger=trigger, status=RunStatus.RUNNING.value, started_at=now, heartbeat_at=now)
    session.add(run)
    session.flush()
    return run


def finish_run(
    *,
    session: Session,
    run_id: int,
    status: RunStatus,
    counts: dict[str, int],
    note: str = "",
    now: datetime,
) -> Run:
    run = session.get(Run, run_id)
    assert run is not None
    run.status = status.value
    run.finished_at = now
    run.heartbeat_at = run.finished_at
    run.claims_count = counts.get("claims", 0)
    run.sources_count = counts.get("sources", 0)
    run.errors_count = counts.get("errors", 0)
    run.changes_count = counts.get("changes", 0)
    run.note = note
    session.add(run)
    return run


def sources_done_in_run(*, session: Session, run_id: int) -> set[int]:
    """The sources a run already recorded: a resumed run skips them."""
    query = select(Evidence.source_id).where(Evidence.run_id == run_id).distinct()
    return set(session.exec(query))


def source_done_in_run(*, session: Session, run_id: int, source_id: int) -> bool:
    """True when this run already recorded this source: the (run, source) unit is idempotent."""
    query = select(Evidence.id).where(Evidence.run_id == run_id, Evidence.source_id == source_id)
    return session.exec(query.limit(1)).first() is not None


# -- snapshots and evidence ---------------------------------------------------------------------


def snapshot_row(
    *, sha256: str, packed: bytes, size: int, content_type: str | None, now: datetime
) -> dict[str, Any]:
    """A snapshot as stored: `packed` is the zlib-compressed body (compressed by the caller,
    on a worker thread), `size` the body's length, `now` its first sighting."""
    return {
        "sha256": sha256,
        "body": packed,
        "content_type": (content_type or "")[:200] or None,
        "size": size,
        "created_at": now,
    }


def store_snapshots(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Keep each body once (a body already kept, or twice in `rows`, is skipped): one
    executemany for a batch of sources."""
    unique = list({row["sha256"]: row for row in rows}.values())
    if not unique:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Snapshot.__table__  # type: ignore[attr-defined]
    statement = insert(table).on_conflict_do_nothing(index_elements=["sha256"])
    session.connection().execute(statement, unique)


def snapshot_body(*, session: Session, sha256: str) -> bytes | None:
    snap = session.get(Snapshot, sha256)
    return zlib.decompress(snap.body) if snap is not None else None


def fetch_state_row(
    *,
    source_id: int,
    url: str,
    etag: str | None,
    last_modified: str | None,
    sha256: str | None,
    fetched_at: datetime,
) -> dict[str, Any]:
    """One source's conditional-GET cache after a good fetch of `url` (sha256 None: a 304,
    the last body stays)."""
    return {
        "state_source_id": source_id,
        "state_url": url,
        "state_etag": etag,
        "state_last_modified": last_modified,
        "state_fetched_at": fetched_at,
        "state_sha256": sha256,
    }


def update_fetch_states(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The conditional-GET caches of many sources, one executemany per kind of row; a source
    is left alone when it has been given another URL since the run planned it (an import
    during the run): the old page's state would make the new URL look fetched."""
    table = Source.__table__  # type: ignore[attr-defined]
    where = sa.and_(
        table.c.id == sa.bindparam("state_source_id"), table.c.url == sa.bindparam("state_url")
    )
    columns: dict[str, Any] = {
        "etag": sa.bindparam("state_etag"),
        "last_modified": sa.bindparam("state_last_modified"),
        "last_fetched_at": sa.bindparam("state_fetched_at"),
    }
    changed = [row for row in rows if row["state_sha256"] is not None]
    same = [
        {k: v for k, v in row.items() if k != "state_sha256"}
        for row in rows
        if row["state_sha256"] is None
    ]
    connection = session.connection()
    if changed:
        values = {**columns, "last_sha256": sa.bindparam("state_sha256")}
        connection.execute(sa.update(table).where(where).values(**values), changed)
    if same:
        connection.execute(sa.update(table).where(where).values(**columns), same)


@dataclass(frozen=True)
class Extraction:
    """Where a link's last extraction is kept, and what it was made with and from."""

    evidence_id: int
    rule_fingerprint: str | None
    snapshot_sha256: str | None


def original_extractions(
    *, session: Session, source_ids: Iterable[int]
) -> dict[tuple[int, int, str], Extraction]:
    """For each (source, claim, role): the newest good evidence that holds an extraction.

    One query for the whole plan, reading only the columns that decide whether to reuse.
    """
    ids = list(source_ids)
    if not ids:
        return {}
    table = Evidence.__table__  # type: ignore[attr-defined]
    newest = (
        sa.select(sa.func.max(table.c.id))
        .where(
            table.c.source_id.in_(ids),
            table.c.error_code.is_(None),
            table.c.reused_from_id.is_(None),
        )
        .group_by(table.c.source_id, table.c.claim_id, table.c.role)
    )
    query = sa.select(
        table.c.id,
        table.c.source_id,
        table.c.claim_id,
        table.c.role,
        table.c.rule_fingerprint,
        table.c.snapshot_sha256,
    ).where(table.c.id.in_(newest.scalar_subquery()))
    return {
        (r.source_id, r.claim_id, r.role): Extraction(r.id, r.rule_fingerprint, r.snapshot_sha256)
        for r in session.connection().execute(query)
    }


@dataclass(frozen=True)
class StoredEvidence:
    """The freshest good evidence of one (claim, source, role), with its extraction resolved."""

    row: Evidence
    hits: tuple[Hit, ...]
    quantities: tuple[Quantity | None, ...]


def freshest_evidence(
    *, session: Session, claim_ids: Iterable[int]
) -> dict[int, dict[tuple[int, str], StoredEvidence]]:
    """Per claim, per (source, role): the newest evidence without an error."""
    ids = list(claim_ids)
    result: dict[int, dict[tuple[int, str], StoredEvidence]] = {i: {} for i in ids}
    if not ids:
        return result
    newest = (
        select(sa.func.max(Evidence.id))
        .where(col(Evidence.claim_id).in_(ids), col(Evidence.error_code).is_(None))
        .group_by(col(Evidence.claim_id), col(Evidence.source_id), col(Evidence.role))
    )
    rows = list(
        session.exec(select(Evidence).where(col(Evidence.id).in_(newest.scalar_subquery())))
    )
    originals_ids = {r.reused_from_id for r in rows if r.reused_from_id is not None}
    originals = {}
    if originals_ids:
        query = select(Evidence).where(col(Evidence.id).in_(originals_ids))
        originals = {r.id: r for r in session.exec(query)}
    for row in rows:
        source_row = originals.get(row.reused_from_id, row) if row.reused_from_id else row
        hits, quantities = hits_from_json(source_row.hits or [])
        result[row.claim_id][(row.source_id, row.role)] = StoredEvidence(row, hits, quantities)
    return result


@dataclass(frozen=True)
class Judged:
    """What judging reads of one evidence row: read with Core, as a run judges thousands."""

    id: int
    run_id: int
    claim_id: int
    source_id: int
    role: str
    rule_fingerprint: str | None
    url: str | None
    fetched_at: datetime
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class JudgedEvidence:
    row: Judged
    hits: tuple[Hit, ...]
    quantities: tuple[Quantity | None, ...]


_JUDGED = [f.name for f in fields(Judged)]


def evidence_to_judge(
    *, session: Session, claim_ids: Iterable[int], run_id: int | None
) -> tuple[dict[int, dict[tuple[int, str], JudgedEvidence]], dict[int, list[Judged]]]:
    """Per claim: its freshest good evidence per (source, role), extraction resolved (as
    `freshest_evidence` gives it), and this run's error rows. Only the columns judging reads,
    with the hits of the rows that hold an extraction read once."""
    ids = list(claim_ids)
    good: dict[int, dict[tuple[int, str], JudgedEvidence]] = {i: {} for i in ids}
    errors: dict[int, list[Judged]] = {}
    if not ids:
        return good, errors
    table = Evidence.__table__  # type: ignore[attr-defined]
    newest = (
        sa.select(sa.func.max(table.c.id))
        .where(table.c.claim_id.in_(ids), table.c.error_code.is_(None))
        .group_by(table.c.claim_id, table.c.source_id, table.c.role)
    )
    columns = [table.c[name] for name in _JUDGED]
    query = sa.select(*columns, table.c.reused_from_id, table.c.hits)
    connection = session.connection()
    rows = list(connection.execute(query.where(table.c.id.in_(newest.scalar_subquery()))))
    pointed = {r.reused_from_id for r in rows if r.reused_from_id is not None}
    hits_of = {r.id: r.hits for r in rows if r.reused_from_id is None}
    if pointed:
        originals = sa.select(table.c.id, table.c.hits).where(table.c.id.in_(pointed))
        hits_of.update({r.id: r.hits for r in connection.execute(originals)})
    for r in rows:
        hits, quantities = hits_from_json(hits_of.get(r.reused_from_id or r.id) or [])
        judged = Judged(*r[: len(_JUDGED)])
        good[r.claim_id][(r.source_id, r.role)] = JudgedEvidence(judged, hits, quantities)
    if run_id is not None:
        failed = sa.select(*columns).where(
            table.c.run_id == run_id, table.c.claim_id.in_(ids), table.c.error_code.is_not(None)
        )
        for r in connection.execute(failed):
            errors.setdefault(r.claim_id, []).append(Judged(*r[: len(_JUDGED)]))
    return good, errors


def set_stances(*, session: Session, run_id: int, stances: dict[int, str]) -> None:
    """Fill in the stance of this run's evidence rows, once their claims are judged.

    One Core executemany: an ORM update per row would be checked against every Evidence object
    in the session (quadratic in the number of claims).
    """
    table = Evidence.__table__  # type: ignore[attr-defined]
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("evidence_id"), table.c.run_id == run_id)
        .values(stance=sa.bindparam("new_stance"))
    )
    params = [{"evidence_id": i, "new_stance": stance} for i, stance in stances.items()]
    session.connection().execute(statement, params)


def insert_verdicts(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append a run's system verdicts in one executemany (every column named in each row)."""
    if rows:
        session.connection().execute(sa.insert(Verdict.__table__), list(rows))  # type: ignore[attr-defined]


def insert_evidence(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append evidence rows in one executemany (the hot path of a run)."""
    if rows:
        session.connection().execute(sa.insert(Evidence.__table__), list(rows))  # type: ignore[attr-defined]


def recent_runs(*, session: Session, limit: int = 20) -> list[Run]:
    return list(session.exec(select(Run).order_by(col(Run.id).desc()).limit(limit)))


def interrupt_running_runs(*, session: Session, now: datetime) -> list[int]:
    """Mark every run still `running` as interrupted; call only while holding the run lock.

    Every writer of runs holds the run lock, so a run found running by the lock's holder was
    left behind by a process that stopped without recording its end (kill -9, power loss).
    """
    rows = list(session.exec(select(Run).where(Run.status == RunStatus.RUNNING.value)))
    for run in rows:
        run.status = RunStatus.INTERRUPTED.value
        run.finished_at = now
        run.note = (run.note + " " if run.note else "") + "left running by a stopped process"
        session.add(run)
    return [run.id for run in rows if run.id is not None]


def end_unfinished_run(
    *, session: Session, run_id: int, status: RunStatus, note: str, now: datetime
) -> None:
    """Record how a run ended when the pipeline could not (it raised); a finished run is kept."""
    session.execute(
        sa.update(Run)
        .where(col(Run.id) == run_id, col(Run.status) == RunStatus.RUNNING.value)
        .values(status=status.value, finished_at=now, note=note[:2000])
    )


def touch_run(*, session: Session, run_id: int, now: datetime) -> None:
    session.execute(sa.update(Run).where(col(Run.id) == run_id).values(heartbeat_at=now))


def last_run(
    *, session: Session, triggers: Sequence[str] = (), status: str | None = None
) -> Run | None:
    """The newest run, optionally of the given triggers and status."""
    query = select(Run)
    if triggers:
        query = query.where(col(Run.trigger).in_(list(triggers)))
    if status is not None:
        query = query.where(Run.status == status)
    return session.exec(query.order_by(col(Run.started_at).desc(), col(Run.id).desc())).first()
