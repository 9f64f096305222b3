"""A spread run's rules, in this process (PostgreSQL only: the queue is procrastinate's):
the nightly job defers units instead of fetching, a unit run twice records once, the run is
judged exactly once, a run with nothing due is judged at launch, and a run still on the
workers is neither an orphan nor overlapped by the next one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from factcheck.config import Settings
from factcheck.domain import RunStatus, utcnow
from factcheck.fetching.fetcher import Fetcher
from factcheck.storage import runs, units
from factcheck.storage.db import session_scope
from factcheck.storage.models import Evidence, Run, RunUnit, Verdict
from factcheck.verification import nightly, runner, spread
from tests.conftest import _pg_db
from tests.integration.scheduling import declare, wait_until
from tests.servers import PageServer
from tests.support import DatabaseUnderTest, make_fast_settings


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[DatabaseUnderTest]:
    yield from _pg_db(request.getfixturevalue("pg_status"))


def _settings(pg: DatabaseUnderTest) -> Settings:
    return make_fast_settings(database_url=pg.url, executor="procrastinate")


def _jobs(pg: DatabaseUnderTest) -> list[tuple[str, str, dict[str, object]]]:
    with pg.engine.connect() as conn:
        query = "SELECT task_name, queue_name, args FROM procrastinate_jobs ORDER BY id"
        return [tuple(row) for row in conn.execute(sa.text(query))]  # type: ignore[misc]


def _run(pg: DatabaseUnderTest, run_id: int) -> Run:
    with session_scope(pg.engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run


def _work_all(pg: DatabaseUnderTest, settings: Settings, run_id: int) -> None:
    """Do every queued unit here, as a worker's task would."""
    with session_scope(pg.engine) as session:
        ids = [u.source_id for u in session.exec(select(RunUnit).where(RunUnit.run_id == run_id))]
    with Fetcher(settings) as fetcher:
        ctx = spread.UnitContext(engine=pg.engine, settings=settings, fetcher=fetcher, worker="t:1")
        for source_id in ids:
            spread.run_unit(ctx, run_id=run_id, source_id=source_id, claim_ids=None)


def test_the_nightly_job_defers_the_units_and_the_last_one_judges(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    names = ["spread-a", "spread-b", "spread-c"]
    for name in names:
        pages.put(f"{name}.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), names)
    settings = _settings(pg)
    service = nightly.NightlyService(engine=pg.engine, settings=settings)
    report = service.nightly()
    assert report is not None and report.summary.status is RunStatus.RUNNING
    run_id = report.summary.run_id
    assert run_id is not None
    jobs = _jobs(pg)
    assert [(t, q) for t, q, _ in jobs] == [("factcheck.unit", "units")] * 3
    assert {a["run_id"] for _, _, a in jobs} == {run_id}
    with session_scope(pg.engine) as session:
        assert units.counts(session=session, run_ids=[run_id])[run_id]["queued"] == 3
    # still on the workers: no orphan for the next scheduler, and a second nightly waits for
    # it (it is not dropped), then finds this night served by the first
    assert runner.interrupt_orphans(engine=pg.engine, settings=settings) == []
    second: list[object] = []
    waiting = threading.Thread(target=lambda: second.append(service.nightly()))
    waiting.start()
    time.sleep(1.0)
    assert waiting.is_alive() and second == []
    assert _run(pg, run_id).status == "running"

    _work_all(pg, settings, run_id)
    waiting.join(timeout=30)
    assert not waiting.is_alive() and second == [None]
    run = _run(pg, run_id)
    assert (run.status, run.sources_count, run.claims_count, run.errors_count) == (
        "succeeded",
        3,
        3,
        0,
    )
    with session_scope(pg.engine) as session:
        verdicts = session.exec(select(Verdict.claim_id).where(Verdict.run_id == run_id)).all()
    assert len(verdicts) == 3


def test_the_nightly_rebuild_waits_until_the_workers_judged_the_run(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    pages.put("spread-wait.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), ["spread-wait"])
    settings = _settings(pg)
    seen: list[str] = []

    def rebuild() -> None:  # the report's rebuild sees the run as the workers left it
        with session_scope(pg.engine) as session:
            seen.extend(r.status for r in session.exec(select(Run)))

    service = nightly.NightlyService(engine=pg.engine, settings=settings, after_run=rebuild)
    night = threading.Thread(target=service.nightly)
    night.start()
    for _ in range(100):
        with session_scope(pg.engine) as session:
            run_ids = list(session.exec(select(RunUnit.run_id)))
        if run_ids:
            break
        time.sleep(0.1)
    assert run_ids, "the nightly job deferred no unit"
    time.sleep(0.5)
    assert night.is_alive() and seen == []  # not rebuilt while the run is on the workers
    _work_all(pg, settings, run_ids[0])
    night.join(timeout=30)
    assert not night.is_alive()
    assert seen == ["succeeded"]


def test_a_unit_done_twice_records_once_and_the_run_is_judged_once(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    pages.put("spread-one.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), ["spread-one"])
    settings = _settings(pg)
    deferred: list[tuple[int, list[int]]] = []
    with session_scope(pg.engine) as session:
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    spread.launch(
        engine=pg.engine,
        settings=settings,
        run_id=run_id,
        claim_keys=(),
        force=True,
        defer=lambda r, ids, scope: deferred.append((r, list(ids))),
    )
    assert len(deferred) == 1 and len(deferred[0][1]) == 1
    source_id = deferred[0][1][0]
    with Fetcher(settings) as fetcher:
        ctx = spread.UnitContext(engine=pg.engine, settings=settings, fetcher=fetcher, worker="t:1")
        first = spread.run_unit(ctx, run_id=run_id, source_id=source_id, claim_ids=None)
        again = spread.run_unit(ctx, run_id=run_id, source_id=source_id, claim_ids=None)
    assert (first, again) == ("done", "done")
    with session_scope(pg.engine) as session:
        rows = session.exec(select(Evidence.id).where(Evidence.run_id == run_id)).all()
        unit = session.exec(select(RunUnit).where(RunUnit.run_id == run_id)).one()
    assert len(rows) == 1 and unit.attempts == 1  # a finished unit is not taken again
    finished_at = _run(pg, run_id).finished_at
    assert not spread.judge_once(engine=pg.engine, settings=settings, run_id=run_id, claim_ids=None)
    assert _run(pg, run_id).finished_at == finished_at


def test_a_run_with_nothing_due_is_judged_at_launch(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    declare(pg, tmp_path, pages.url("page"), ["spread-x"])
    settings = _settings(pg)
    with session_scope(pg.engine) as session:  # fetched just now: not due
        session.execute(sa.text("UPDATE source SET last_fetched_at = :t"), {"t": utcnow()})
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    plan = spread.launch(
        engine=pg.engine,
        settings=settings,
        run_id=run_id,
        claim_keys=(),
        force=False,
        defer=lambda *_: pytest.fail("nothing to defer"),
    )
    assert plan.sources == ()
    run = _run(pg, run_id)
    assert (run.status, run.sources_count, run.claims_count) == ("succeeded", 0, 1)


def test_verify_without_wait_returns_once_deferred(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    from tests.support import run_cli

    pages.put("spread-v.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), ["spread-v"])
    env = {"FACTCHECK_EXECUTOR": "procrastinate", "FACTCHECK_ALLOW_LOOPBACK": "1"}
    result = run_cli("verify", db_url=pg.url, env=env)
    assert result.code == 0, result
    assert "run 1 running, deferred to the workers: units queued 1" in result.stderr
    status = run_cli("schedule", "status", db_url=pg.url, env=env)
    assert "queued 1, running 0, done 0, failed 0" in status.stdout
    again = run_cli("verify", db_url=pg.url, env=env)  # the first is still on the workers
    assert again.code == 5 and "still in progress on the workers" in again.stderr


def test_a_waiting_run_starts_once_the_spread_run_is_judged(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    import threading

    from factcheck.domain import Trigger

    pages.put("spread-w.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), ["spread-w"])
    settings = _settings(pg)
    first = runner.run_locked(engine=pg.engine, settings=settings, trigger=Trigger.MANUAL)
    first_id = first.summary.run_id
    assert first_id is not None
    waits: list[str] = []
    second: list[runner.RunReport] = []
    waiter = threading.Thread(
        target=lambda: second.append(
            runner.run_locked(
                engine=pg.engine,
                settings=settings,
                trigger=Trigger.MANUAL,
                force=True,
                wait=True,
                on_wait=waits.append,
            )
        )
    )
    waiter.start()
    try:
        wait_until(lambda: bool(waits), timeout=20)
        assert waits == [f"run {first_id} is still in progress on the workers"]
        assert second == []  # waiting, not refused
        _work_all(pg, settings, first_id)
    finally:
        waiter.join(timeout=20)
    assert _run(pg, first_id).status == "succeeded"
    assert len(second) == 1 and second[0].summary.run_id == first_id + 1


def test_a_unit_unlinked_since_planning_is_done_without_evidence(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    from factcheck.storage import catalog

    pages.put("spread-u.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), ["spread-u"])
    settings = _settings(pg)
    deferred: list[int] = []
    with session_scope(pg.engine) as session:
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    spread.launch(
        engine=pg.engine,
        settings=settings,
        run_id=run_id,
        claim_keys=(),
        force=True,
        defer=lambda r, ids, scope: deferred.extend(ids),
    )
    with session_scope(pg.engine) as session:
        claim = catalog.get_claim(session=session, key="claim-spread-u")
        source = catalog.get_source(session=session, key="spread-u")
        assert catalog.unlink_claim(session=session, claim=claim, source=source) == 1
    with Fetcher(settings) as fetcher:
        ctx = spread.UnitContext(engine=pg.engine, settings=settings, fetcher=fetcher, worker="t:1")
        assert spread.run_unit(ctx, run_id=run_id, source_id=deferred[0], claim_ids=None) == "done"
    with session_scope(pg.engine) as session:
        assert session.exec(select(Evidence.id).where(Evidence.run_id == run_id)).all() == []
        unit = session.exec(select(RunUnit).where(RunUnit.run_id == run_id)).one()
    assert unit.error_message == "no link to a claim of the run any more"
    assert _run(pg, run_id).status == "succeeded"  # the last unit: the run is judged


def _launched(pg: DatabaseUnderTest, settings: Settings) -> tuple[int, int]:
    """A spread run of one source, launched with its job not deferred: (run, source)."""
    deferred: list[int] = []
    with session_scope(pg.engine) as session:
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    spread.launch(
        engine=pg.engine,
        settings=settings,
        run_id=run_id,
        claim_keys=(),
        force=True,
        defer=lambda r, ids, scope: deferred.extend(ids),
    )
    assert len(deferred) == 1
    return run_id, deferred[0]


def test_a_unit_whose_attempts_never_came_back_fails_without_fetching_and_is_judged(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    """A page that kills its worker (OOM, a crash) never raises: after the unit's attempts
    it is recorded as failed, not fetched a fourth time, and its run is judged."""
    declare(pg, tmp_path, pages.url("page"), ["spread-killer"])
    settings = _settings(pg)
    run_id, source_id = _launched(pg, settings)
    for n in range(spread.UNIT_ATTEMPTS):  # three workers took it and died
        with session_scope(pg.engine) as session:
            taken = units.take_unit(
                session=session,
                run_id=run_id,
                source_id=source_id,
                worker=f"gone:{n}",
                now=utcnow(),
            )
        assert taken == ("running", n + 1)
    with Fetcher(settings) as fetcher:
        ctx = spread.UnitContext(engine=pg.engine, settings=settings, fetcher=fetcher, worker="t:1")
        state = spread.run_unit(ctx, run_id=run_id, source_id=source_id, claim_ids=None)
    assert state == "failed"
    with session_scope(pg.engine) as session:
        codes = session.exec(select(Evidence.error_code).where(Evidence.run_id == run_id)).all()
    assert codes == ["internal_error"]
    assert _run(pg, run_id).status == "succeeded"  # judged, the failed unit counted


def test_a_unit_of_a_run_that_is_no_longer_running_is_left(
    pg: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    """A launch that failed half-way ends its run as failed: jobs already deferred for it
    record nothing into it."""
    pages.put("spread-late.txt", "It has 405B parameters.", "text/plain")
    declare(pg, tmp_path, pages.url("page"), ["spread-late"])
    settings = _settings(pg)
    run_id, source_id = _launched(pg, settings)
    with session_scope(pg.engine) as session:
        session.execute(sa.text("UPDATE run SET status = 'failed' WHERE id = :r"), {"r": run_id})
    with Fetcher(settings) as fetcher:
        ctx = spread.UnitContext(engine=pg.engine, settings=settings, fetcher=fetcher, worker="t:1")
        state = spread.run_unit(ctx, run_id=run_id, source_id=source_id, claim_ids=None)
    assert state == "ended"
    with session_scope(pg.engine) as session:
        assert session.exec(select(Evidence.id).where(Evidence.run_id == run_id)).all() == []
        unit = session.exec(select(RunUnit).where(RunUnit.run_id == run_id)).one()
    assert (unit.state, unit.attempts) == ("queued", 0)
