"""The run's batched writer (verification.batches): many sources in one transaction, and a
source the database refuses, or one already recorded by another writer, still fails alone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import select

from factcheck.domain import ErrorCode, Fetched, utcnow
from factcheck.storage import runs
from factcheck.storage.db import session_scope
from factcheck.storage.models import Evidence, Snapshot, Source
from factcheck.verification import batches
from factcheck.verification.batches import BatchWriter, record_batch
from factcheck.verification.planning import plan_run
from factcheck.verification.recording import packed_body
from factcheck.verification.source_unit import LinkResult, SourceResult, record_source
from tests.integration.scheduling import declare
from tests.servers import PageServer
from tests.support import DatabaseUnderTest, make_fast_settings

BODY = b"It has 405B parameters."


def _results(database: DatabaseUnderTest, keys: list[str], *, odd: str = "") -> list[SourceResult]:
    """A fetched, unextracted result per source, as a worker hands it over; `odd` gets an
    HTTP status far out of any integer column's range (the database refuses it)."""
    with session_scope(database.engine) as session:
        plans = {
            p.key: p
            for p in plan_run(
                session=session, claim_keys=[f"claim-{k}" for k in keys], now=utcnow()
            ).sources
        }
    results = []
    for key in keys:
        plan = plans[key]
        fetched = Fetched(
            url=plan.url,
            final_url=plan.url,
            status=2**70 if key == odd else 200,
            headers={},
            body=BODY,
            sha256=f"{len(results):064d}",
            fetched_at=utcnow(),
            content_type="text/plain",
        )
        links = tuple(
            LinkResult(link, error_code="rule_no_match", error_message="-") for link in plan.links
        )
        # half the bodies packed by "the worker", half left to the writer
        packed = packed_body(BODY) if len(results) % 2 else None
        results.append(SourceResult(plan, fetched, links=links, packed=packed, size=len(BODY)))
    return results


def _codes(database: DatabaseUnderTest, run_id: int) -> dict[str, list[str | None]]:
    with session_scope(database.engine) as session:
        keys = {s.id: s.key for s in session.exec(select(Source))}
        rows = session.exec(select(Evidence).where(Evidence.run_id == run_id)).all()
        found: dict[str, list[str | None]] = {}
        for row in rows:
            found.setdefault(keys[row.source_id], []).append(row.error_code)
    return found


def _start(database: DatabaseUnderTest) -> int:
    with session_scope(database.engine) as session:
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    return run_id


def test_a_batch_is_written_whole_and_a_refused_source_fails_alone(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    names = ["a", "b", "odd", "c"]
    declare(database, tmp_path, "http://127.0.0.1:9", names)
    run_id = _start(database)
    results = _results(database, names, odd="odd")
    recorded = record_batch(engine=database.engine, run_id=run_id, results=results, now=utcnow())
    assert [r.plan.key for r in recorded] == names
    # the source-wide error is the refused one's alone (the others' are their links')
    assert [r.error_code for r in recorded] == [None, None, ErrorCode.INTERNAL_ERROR.value, None]
    assert _codes(database, run_id) == {
        "a": ["rule_no_match"],
        "b": ["rule_no_match"],
        "odd": ["internal_error"],
        "c": ["rule_no_match"],
    }


def test_a_source_another_writer_recorded_is_skipped_not_doubled(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    names = ["a", "b", "c"]
    declare(database, tmp_path, "http://127.0.0.1:9", names)
    run_id = _start(database)
    results = _results(database, names)
    with session_scope(database.engine) as session:  # "another worker" recorded b already
        record_source(session=session, run_id=run_id, result=results[1], now=utcnow())
    # the batch hits the unique (run, claim, source, role) constraint: one by one instead
    recorded = record_batch(engine=database.engine, run_id=run_id, results=results, now=utcnow())
    assert [(r.plan.key, r.skipped) for r in recorded] == [("a", False), ("b", True), ("c", False)]
    assert _codes(database, run_id) == {k: ["rule_no_match"] for k in names}


def test_the_writer_skips_what_the_run_recorded_and_flushes_full_batches(
    database: DatabaseUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["a", "b", "c", "d"]
    declare(database, tmp_path, "http://127.0.0.1:9", names)
    run_id = _start(database)
    results = _results(database, names)
    seen: list[SourceResult] = []
    done = {results[0].plan.source_id}  # recorded before a resume
    writer = BatchWriter(
        engine=database.engine, run_id=run_id, done=done, on_recorded=seen.append, clock=utcnow
    )
    monkeypatch.setattr(batches, "BATCH_SOURCES", 2)
    for result in results:
        writer.add(result)
    # a skipped source at once; b and c written as a full batch; d waits for its batch
    assert [(r.plan.key, r.skipped) for r in seen] == [("a", True), ("b", False), ("c", False)]
    writer.flush()
    assert [r.plan.key for r in seen] == names
    assert sorted(_codes(database, run_id)) == ["b", "c", "d"]
    with session_scope(database.engine) as session:  # bodies packed by workers or the writer
        snapshots = session.exec(select(Snapshot)).all()
        bodies = {runs.snapshot_body(session=session, sha256=s.sha256) for s in snapshots}
    assert len(snapshots) == 3 and {s.size for s in snapshots} == {len(BODY)}
    assert bodies == {BODY}


def test_a_writer_that_lost_the_run_writes_nothing_more(
    database: DatabaseUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the run lock went to another holder, even a full batch is not written."""
    names = ["a", "b"]
    declare(database, tmp_path, "http://127.0.0.1:9", names)
    run_id = _start(database)
    lost = threading.Event()
    seen: list[SourceResult] = []
    writer = BatchWriter(
        engine=database.engine,
        run_id=run_id,
        done=set(),
        on_recorded=seen.append,
        clock=utcnow,
        lost=lost,
    )
    monkeypatch.setattr(batches, "BATCH_SOURCES", 2)
    lost.set()
    for result in _results(database, names):
        writer.add(result)
    writer.flush()
    assert seen == [] and _codes(database, run_id) == {}


def test_a_run_keeps_its_sources_results_without_their_bodies(
    database: DatabaseUnderTest, tmp_path: Path, pages: PageServer
) -> None:
    """What a run returns holds each source's outcome, not its page (a night of 100,000
    pages must not hold them all); the bodies are in the store, and a resumed run's set of
    recorded sources comes back from it."""
    from factcheck.verification.pipeline import run_verification

    names = [f"p{i}" for i in range(5)]
    for name in names:
        pages.put(f"{name}.txt", b"It has 405B parameters. " * 200, "text/plain")
    declare(database, tmp_path, pages.url("/page"), names)
    settings = make_fast_settings(database_url=database.url)
    summary = run_verification(engine=database.engine, settings=settings, force=True)
    assert [s.failed for s in summary.sources] == [False] * 5
    assert all(s.fetched is not None and s.fetched.body == b"" for s in summary.sources)
    assert all(s.packed is None for s in summary.sources)
    assert {s.http_status for s in summary.sources} == {200}
    with session_scope(database.engine) as session:
        snapshots = session.exec(select(Snapshot)).all()
        assert summary.run_id is not None
        assert len(runs.sources_done_in_run(session=session, run_id=summary.run_id)) == 5
    assert [s.size for s in snapshots] == [len(b"It has 405B parameters. ") * 200]
