"""Real `factcheck` processes on one database: one scheduler at a time, a run killed with
SIGKILL then resumed by the next start, a clean stop on SIGTERM, `verify` during a run.

A slow run is a page that the local server holds until the test lets it go; the tests wait on
events and on the children's stderr lines, never on the clock.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func
from sqlmodel import col, select
from werkzeug import Request, Response

from factcheck.config import Settings
from factcheck.storage import runlock
from factcheck.storage.db import session_scope
from factcheck.storage.models import Evidence, Run, Source, Verdict
from tests.integration.scheduling import CHILD_ENV, Child, declare, wait_until
from tests.support import DatabaseUnderTest, run_cli


@dataclass
class Site:
    base: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def site() -> Iterator[Site]:
    """Pages a, slow and c: `slow` is held until `release` (it sets `arrived` first)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    site = Site(base=server.url_for("").rstrip("/"))

    def slow(_request: Request) -> Response:
        site.arrived.set()
        site.release.wait(30)
        return Response("It has 405B parameters.", content_type="text/plain")

    server.expect_request("/slow.txt").respond_with_handler(slow)
    for name in ("a", "c"):
        server.expect_request(f"/{name}.txt").respond_with_data("It has 405B parameters.")
    try:
        yield site
    finally:
        site.release.set()
        server.clear()
        server.stop()


def _runs(database: DatabaseUnderTest) -> list[tuple[str, str]]:
    with session_scope(database.engine) as session:
        return [(r.trigger, r.status) for r in session.exec(select(Run).order_by(col(Run.id)))]


def _evidence(database: DatabaseUnderTest) -> dict[str, list[int]]:
    """Source key -> the runs that recorded evidence for it (one row per link and run)."""
    with session_scope(database.engine) as session:
        rows = session.exec(
            select(Source.key, Evidence.run_id)
            .join(Source, col(Source.id) == Evidence.source_id)
            .order_by(col(Evidence.id))
        ).all()
    found: dict[str, list[int]] = {}
    for key, run_id in rows:
        found.setdefault(key, []).append(run_id)
    return found


def test_a_second_scheduler_on_the_same_database_exits_5_at_once(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    first = Child("schedule", db_url=database.url, cwd=tmp_path)
    try:
        first.wait_for("scheduler started")
        # "at once": the first holds the lock until its SIGTERM, which is sent only after the
        # second returns, so a second that waited would never return (the timeout fails it)
        second = run_cli("schedule", db_url=database.url, cwd=tmp_path, timeout=60, subprocess=True)
    finally:
        first.signal(signal.SIGTERM)
        code = first.finish()
    assert second.code == 5, second.stderr
    assert second.stderr.startswith("error: a scheduler is already running on this database")
    assert code == 0 and first.seen[-1].endswith(
        " INFO factcheck.verification.nightly: scheduler stopped"
    )


def test_a_run_killed_mid_way_is_interrupted_and_the_next_start_completes_it(
    database: DatabaseUnderTest, tmp_path: Path, site: Site
) -> None:
    declare(database, tmp_path, site.base, ["a", "slow", "c"])
    first = Child("schedule", db_url=database.url, cwd=tmp_path)
    try:
        assert site.arrived.wait(30), first.seen  # `a` is fetched, `slow` is in flight
        wait_until(lambda: "a" in _evidence(database))  # and `a` is recorded
        busy = run_cli("verify", db_url=database.url, cwd=tmp_path, env=CHILD_ENV)
    finally:
        first.kill()
        first.finish()
    site.release.set()
    assert busy.code == 5 and "another verification run is in progress" in busy.stderr
    assert _runs(database) == [("catch_up", "running")]
    assert _evidence(database) == {"a": [1]}

    second = Child("schedule", db_url=database.url, cwd=tmp_path)
    try:
        second.wait_for(r"marked interrupted: run\(s\) 1")
        second.wait_for(r"run 2 completed")
    finally:
        second.signal(signal.SIGTERM)
        assert second.finish() == 0
    assert _runs(database) == [("catch_up", "interrupted"), ("catch_up", "succeeded")]
    # every source recorded exactly once: the killed run's `a` was not fetched again
    assert _evidence(database) == {"a": [1], "slow": [2], "c": [2]}
    with session_scope(database.engine) as session:
        judged = session.exec(select(func.count(col(Verdict.id)))).one()
    assert judged == 3


def test_sigterm_during_a_run_records_the_source_in_flight_and_exits_130(
    database: DatabaseUnderTest, tmp_path: Path, site: Site
) -> None:
    declare(database, tmp_path, site.base, ["a", "slow", "c"])
    child = Child("schedule", db_url=database.url, cwd=tmp_path)
    try:
        assert site.arrived.wait(30), child.seen
        wait_until(lambda: "a" in _evidence(database))
        child.signal(signal.SIGTERM)
        child.wait_for("scheduler stopping")  # logged once the run's stop is set
        code = child.finish()  # `slow` is still held: the run does not wait for it
    finally:
        site.release.set()
        if child.proc.poll() is None:
            child.kill()
            child.finish()
    assert code == 130, child.seen  # a run was cut short: not a clean stop
    assert child.seen[-1].endswith(" INFO factcheck.verification.nightly: scheduler stopped")
    assert _runs(database) == [("catch_up", "interrupted")]
    assert _evidence(database) == {"a": [1], "slow": [1]}  # `c` was never started
    with session_scope(database.engine) as session:
        codes = session.exec(
            select(Evidence.error_code)
            .join(Source, col(Source.id) == Evidence.source_id)
            .where(Source.key == "slow")
        ).all()
    assert codes == ["interrupted"]


def test_verify_exits_5_during_a_run_or_waits_with_wait(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    settings = Settings(database_url=database.url)
    with runlock.hold(engine=database.engine, settings=settings, name=runlock.RUN_LOCK):
        refused = run_cli("verify", db_url=database.url, cwd=tmp_path)
        waiter = Child("verify", "--wait", db_url=database.url, cwd=tmp_path)
        try:
            waiter.wait_for("waiting: another verification run is in progress")
        except BaseException:
            waiter.kill()
            waiter.finish()
            raise
    assert waiter.finish() == 0, waiter.seen
    assert refused.code == 5
    assert refused.stderr.startswith("error: another verification run is in progress")
    assert _runs(database) == [("manual", "succeeded")]


def test_run_now_and_status(database: DatabaseUnderTest, tmp_path: Path) -> None:
    done = run_cli("schedule", "run-now", "--json", db_url=database.url, cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert done.json() == {
        "run_id": 1,
        "status": "succeeded",
        "outcome": "completed",
        "sources": 0,
        "failed_sources": 0,
        "claims": 0,
        "changes": [],
        "webhook": None,
    }
    status = run_cli("schedule", "status", "--json", db_url=database.url, cwd=tmp_path)
    assert status.code == 0, status.stderr
    info = status.json()
    assert isinstance(info, dict)
    assert info["last_run"]["trigger"] == "manual" and info["last_run"]["status"] == "succeeded"
    assert info["scheduler"] is None and info["run_lock"] is None
    assert info["job_stored"] is False and info["catch_up_due"] is True  # manual runs don't count
    assert info["cron"] == "0 2 * * *" and info["next_run_time"].endswith("02:00:00+00:00")
