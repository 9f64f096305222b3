"""The job bodies called directly on fixed dates: one run per night, exactly one catch-up,
interrupted runs recorded; and the whole scheduler in-process for the one path that needs
APScheduler's own clock (a missed fire within the grace meeting the catch-up)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import col, select

from factcheck.config import Settings
from factcheck.domain import RunStatus, Trigger
from factcheck.storage import runlock, runs
from factcheck.storage.db import session_scope
from factcheck.storage.models import Evidence, Run, Source
from factcheck.verification import nightly, nights, runner
from tests.integration.scheduling import declare, wait_until
from tests.support import DatabaseUnderTest, make_fast_settings


def at(text: str) -> Callable[[], datetime]:
    stamp = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return lambda: stamp


def _runs(database: DatabaseUnderTest) -> list[Run]:
    with session_scope(database.engine) as session:
        return list(session.exec(select(Run).order_by(col(Run.id))))


def _record_run(
    database: DatabaseUnderTest, *, trigger: Trigger, started: str, status: RunStatus
) -> int:
    with session_scope(database.engine) as session:
        run = runs.start_run(session=session, trigger=trigger.value, now=at(started)())
        if status is not RunStatus.RUNNING:
            runs.finish_run(
                session=session, run_id=run.id or 0, status=status, counts={}, now=at(started)()
            )
        return run.id or 0


def _service(database: DatabaseUnderTest, now: str, **changes: object) -> nightly.NightlyService:
    return nightly.NightlyService(
        engine=database.engine,
        settings=make_fast_settings(database_url=database.url, **changes),
        clock=at(now),
    )


def test_a_scheduler_started_after_a_missed_night_runs_exactly_one_catch_up(
    database: DatabaseUnderTest,
) -> None:
    _record_run(
        database,
        trigger=Trigger.SCHEDULE,
        started="2026-03-01 02:00:05",
        status=RunStatus.SUCCEEDED,
    )
    # down from 03-01 evening to 03-03 09:00: 03-02's night is long past the 6 h grace
    service = _service(database, "2026-03-03 09:00")
    assert service.catch_up_due()
    report = service.catch_up()
    assert report is not None and report.summary.status is RunStatus.SUCCEEDED
    assert service.catch_up() is None  # a second start the same morning: nothing to catch up
    assert service.nightly() is None  # a late fire for 03-03 02:00: served by the catch-up
    assert [(r.trigger, r.status) for r in _runs(database)] == [
        ("schedule", "succeeded"),
        ("catch_up", "succeeded"),
    ]


def test_within_the_grace_no_catch_up_apscheduler_runs_the_missed_fire(
    database: DatabaseUnderTest,
) -> None:
    _record_run(
        database,
        trigger=Trigger.SCHEDULE,
        started="2026-03-01 02:00:05",
        status=RunStatus.SUCCEEDED,
    )
    service = _service(database, "2026-03-02 07:00")  # 03-02 02:00 missed by 5 h
    assert not service.catch_up_due()
    assert service.nightly() is not None  # the coalesced misfire, run by APScheduler
    assert [r.trigger for r in _runs(database)] == ["schedule", "schedule"]


def test_the_stored_job_runs_once_per_night(
    database: DatabaseUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [datetime(2026, 3, 2, 2, 0, 3, tzinfo=UTC)]
    service = nightly.NightlyService(
        engine=database.engine,
        settings=make_fast_settings(database_url=database.url),
        clock=lambda: clock[0],
    )
    monkeypatch.setattr(nightly, "_live", service)
    nightly.nightly_job()
    clock[0] += timedelta(seconds=30)  # fired again for the same night (a restart, a retry)
    nightly.nightly_job()
    clock[0] = datetime(2026, 3, 3, 2, 0, 2, tzinfo=UTC)
    nightly.nightly_job()
    runs = _runs(database)
    assert [(r.trigger, r.status, r.started_at.day) for r in runs] == [
        ("schedule", "succeeded", 2),
        ("schedule", "succeeded", 3),
    ]


def test_nightly_job_does_due_work_and_no_more(
    database: DatabaseUnderTest, httpserver: HTTPServer, tmp_path: Path
) -> None:
    for name in ("daily", "weekly"):
        httpserver.expect_request(f"/{name}.txt").respond_with_data("It has 405B parameters.")
    declare(database, tmp_path, httpserver.url_for("").rstrip("/"), ["daily", "weekly"])
    with session_scope(database.engine) as session:
        weekly = session.exec(select(Source).where(Source.key == "weekly")).one()
        weekly.recheck_hours = 168
        session.add(weekly)
    now = datetime.now(UTC)
    service = nightly.NightlyService(
        engine=database.engine,
        settings=make_fast_settings(database_url=database.url),
        clock=lambda: now,
    )
    first = service.nightly()
    assert first is not None and len(first.summary.sources) == 2
    later = now + timedelta(days=1, hours=1)  # the next night: only the daily source is due
    service.clock = lambda: later
    second = service.nightly()
    assert second is not None
    assert [s.plan.key for s in second.summary.sources] == ["daily"]


def test_a_run_left_running_is_marked_interrupted_at_the_next_start(
    database: DatabaseUnderTest,
) -> None:
    settings = make_fast_settings(database_url=database.url)
    killed = _record_run(
        database, trigger=Trigger.SCHEDULE, started="2026-03-02 02:00:05", status=RunStatus.RUNNING
    )
    # while a live process holds the run lock, its running run is left alone
    with runlock.hold(engine=database.engine, settings=settings, name=runlock.RUN_LOCK):
        assert runner.interrupt_orphans(engine=database.engine, settings=settings) == []
    assert runner.interrupt_orphans(engine=database.engine, settings=settings) == [killed]
    run = _runs(database)[0]
    assert run.status == "interrupted" and "left running" in run.note
    assert run.finished_at is not None
    # the killed night is not served: the catch-up rule sees only the success before it
    service = _service(database, "2026-03-02 09:00")
    assert service.catch_up_due()


def test_stop_before_a_run_starts_nothing(database: DatabaseUnderTest) -> None:
    service = _service(database, "2026-03-02 02:00:05")
    service.stop()
    assert service.nightly() is None and _runs(database) == []


def test_a_missed_fire_and_a_due_catch_up_make_one_run(
    database: DatabaseUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    """Real APScheduler on the wall clock: the stored hourly job's last fire was missed (within
    the grace) and no night was ever served, so both the misfire and the catch-up are due."""
    caplog.set_level(logging.INFO, logger="factcheck")
    settings = Settings(database_url=database.url, schedule_cron="0 * * * *")
    aps = nightly.make_scheduler(engine=database.engine, settings=settings)
    aps.start(paused=True)
    missed = nights.previous_fire_time(
        nightly.make_trigger(settings), datetime.now(UTC) - timedelta(seconds=1)
    )
    nightly.ensure_job(aps, settings=settings).modify(next_run_time=missed)
    nightly.stop_scheduler(aps)

    shutdown = threading.Event()
    started: list[nightly.Started] = []
    thread = threading.Thread(
        target=nightly.serve,
        kwargs={
            "engine": database.engine,
            "settings": settings,
            "shutdown": shutdown,
            "on_started": started.append,
        },
    )
    thread.start()
    try:
        wait_until(lambda: any("skipped" in r.getMessage() for r in caplog.records))
    finally:
        shutdown.set()
        thread.join(timeout=30)
    assert started and started[0].catch_up
    runs = _runs(database)
    assert len(runs) == 1 and runs[0].status == "succeeded"
    assert runs[0].trigger in ("schedule", "catch_up")
    with session_scope(database.engine) as session:
        assert session.exec(select(Evidence)).first() is None  # nothing declared, nothing done
