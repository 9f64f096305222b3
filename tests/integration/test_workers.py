"""Runs spread over real `factcheck worker` processes (FACTCHECK_EXECUTOR=procrastinate).

PostgreSQL only (procrastinate's queue lives there): in CI a missing PostgreSQL fails these
tests (tests/conftest.py `_pg_db`), it never skips them. The pages are served by a loopback
server in this process that counts requests per page and in flight; the stall timeout is 3 s
so that a killed worker's unit comes back quickly.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from factcheck.domain import utcnow
from factcheck.storage import runs
from factcheck.storage.db import session_scope
from factcheck.storage.models import Evidence, Run, RunUnit, Source, Verdict
from factcheck.verification import spread
from tests.conftest import _pg_db
from tests.integration.scheduling import Child, declare, wait_until
from tests.support import PG_ADMIN_DSN, DatabaseUnderTest, Result, make_fast_settings, run_cli

STALL_S = "3"
SPREAD_ENV = {
    "FACTCHECK_EXECUTOR": "procrastinate",
    "FACTCHECK_STALL_TIMEOUT_S": STALL_S,
    "FACTCHECK_PER_HOST_CONCURRENCY": "2",  # across every worker (storage.hostpacer)
}


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[DatabaseUnderTest]:
    """A fresh, migrated PostgreSQL schema (procrastinate's tables included: migration 0009)."""
    yield from _pg_db(request.getfixturevalue("pg_status"))


@dataclass
class Site:
    """Pages `<name>.txt` that answer after `delay_s`; `held` pages wait for `release`."""

    delay_s: float = 0.0
    held: set[str] = field(default_factory=set)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hits: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.strip("/").removesuffix(".txt")
            with state.lock:
                state.hits[name] += 1
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                if name in state.held:
                    state.arrived.set()
                    state.release.wait(30)
                time.sleep(state.delay_s)
                body = b"It has 405B parameters."
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                with state.lock:
                    state.in_flight -= 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def _workers(
    pg: DatabaseUnderTest, tmp_path: Path, count: int, concurrency: int = 2
) -> list[Child]:
    """`count` worker processes, started together, each up (its first line seen)."""
    children = [
        Child(
            "-v",
            "worker",
            "--concurrency",
            str(concurrency),
            db_url=pg.url,
            cwd=tmp_path,
            env=SPREAD_ENV,
        )
        for _ in range(count)
    ]
    for child in children:
        child.wait_for(r"worker .*: \d+ at once")
    return children


def _worker(pg: DatabaseUnderTest, tmp_path: Path, concurrency: int = 2) -> Child:
    return _workers(pg, tmp_path, 1, concurrency)[0]


def _verify(pg: DatabaseUnderTest, tmp_path: Path, *args: str) -> Result:
    """`factcheck verify` in this process (the workers are the processes under test)."""
    return run_cli("verify", *args, db_url=pg.url, cwd=tmp_path, env=SPREAD_ENV)


def _run_id(pg: DatabaseUnderTest) -> int:
    with session_scope(pg.engine) as session:
        run = session.exec(select(Run).order_by(col(Run.id).desc())).first()
        assert run is not None and run.id is not None
        return run.id


def _units(pg: DatabaseUnderTest, run_id: int) -> list[RunUnit]:
    with session_scope(pg.engine) as session:
        return list(session.exec(select(RunUnit).where(RunUnit.run_id == run_id)))


def _state_counts(pg: DatabaseUnderTest, run_id: int) -> Counter[str]:
    return Counter(u.state for u in _units(pg, run_id))


def _source_id(pg: DatabaseUnderTest, key: str) -> int:
    with session_scope(pg.engine) as session:
        source = session.exec(select(Source).where(Source.key == key)).one()
        assert source.id is not None
        return source.id


def _poison(pg: DatabaseUnderTest, source_id: int) -> None:
    """The database refuses this source's good evidence in every attempt (a trigger raising
    an error that is not a refused value): its unit can only fail."""
    with pg.engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.source_id = {source_id} AND NEW.error_code IS NULL THEN "
                "RAISE EXCEPTION 'poisoned source'; END IF; RETURN NEW; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER poison BEFORE INSERT ON evidence "
                "FOR EACH ROW EXECUTE FUNCTION poison()"
            )
        )


def test_three_workers_one_killed_every_source_once_and_the_run_judged_once(
    pg: DatabaseUnderTest, site: Site, tmp_path: Path
) -> None:
    names = [f"s{i:02d}" for i in range(60)]
    declare(pg, tmp_path, site.base, names)
    _poison(pg, _source_id(pg, "s07"))
    site.delay_s = 0.15
    workers = _workers(pg, tmp_path, 3)
    verify = _verify(pg, tmp_path)
    assert verify.code == 0, verify  # deferred: returns at once
    run_id = _run_id(pg)
    victim = workers[0]
    victim_name = f":{victim.proc.pid}"

    def victim_busy() -> bool:
        return any(u.state == "running" and (u.worker or "").endswith(victim_name)
                   for u in _units(pg, run_id))  # fmt: skip

    wait_until(victim_busy, timeout=20)
    # The victim's requests still at the server run on after its slots died with its session
    # (a dead worker frees its slots at once): the per-host limit is asserted before the kill
    # and again once those abandoned requests have ended.
    with site.lock:
        before_kill = site.max_in_flight
    victim.kill()
    assert victim.finish(timeout=10) == -signal.SIGKILL
    time.sleep(site.delay_s + 0.5)
    with site.lock:
        site.max_in_flight = site.in_flight
    stranded = {
        u.source_id
        for u in _units(pg, run_id)
        if u.state == "running" and (u.worker or "").endswith(victim_name)
    }
    assert stranded, "the killed worker had a unit in flight"

    def judged() -> bool:
        with session_scope(pg.engine) as session:
            run = session.get(Run, run_id)
            return run is not None and run.status != "running"

    wait_until(judged, timeout=40)
    for child in workers[1:]:
        child.signal(signal.SIGTERM)
    codes = [child.finish(timeout=20) for child in workers[1:]]
    assert codes == [0, 0], [c.seen[-5:] for c in workers[1:]]

    units = {u.source_id: u for u in _units(pg, run_id)}
    poisoned = _source_id(pg, "s07")
    assert Counter(u.state for u in units.values()) == {"done": 59, "failed": 1}
    assert units[poisoned].state == "failed" and units[poisoned].attempts == 3
    assert "poisoned source" in (units[poisoned].error_message or "")
    for source_id in stranded - {poisoned}:  # retried by another worker after the stall
        assert units[source_id].state == "done" and units[source_id].attempts >= 2
        assert not units[source_id].worker.endswith(victim_name)  # type: ignore[union-attr]
    with session_scope(pg.engine) as session:
        rows = session.exec(
            select(Evidence.source_id, Evidence.claim_id, Evidence.role, Evidence.error_code)
            .where(Evidence.run_id == run_id)
        ).all()  # fmt: skip
        run = session.get(Run, run_id)
        verdicts = session.exec(select(Verdict.claim_id).where(Verdict.run_id == run_id)).all()
    per_link = Counter((s, c, r) for s, c, r, _ in rows)
    assert len(per_link) == 60 and set(per_link.values()) == {1}  # every source exactly once
    assert [code for s, _, _, code in rows if s == poisoned] == ["internal_error"]
    assert all(code is None for s, _, _, code in rows if s != poisoned)
    assert run is not None and run.status == "succeeded"
    assert (run.sources_count, run.errors_count, run.claims_count) == (60, 1, 60)
    assert Counter(verdicts) == Counter(set(verdicts)) and len(verdicts) == 60
    judged_lines = [
        line for c in workers for line in c.seen if f"run {run_id} judged" in line
    ]  # fmt: skip
    assert len(judged_lines) == 1, judged_lines  # judged once, by one worker
    assert all(site.hits[n] >= 1 for n in names)
    assert before_kill <= 2 and site.max_in_flight <= 2  # the limit held across the workers


def test_sigterm_finishes_the_unit_in_flight_and_exits_0(
    pg: DatabaseUnderTest, site: Site, tmp_path: Path
) -> None:
    declare(pg, tmp_path, site.base, ["a", "slow", "c"])
    site.held = {"slow"}
    worker = _worker(pg, tmp_path, concurrency=1)
    verify = _verify(pg, tmp_path)
    assert verify.code == 0, verify
    run_id = _run_id(pg)
    assert site.arrived.wait(20)
    worker.signal(signal.SIGTERM)
    worker.wait_for("stopping: no new unit", timeout=10)
    time.sleep(float(STALL_S) + 1)  # held past the stall timeout: still not taken as stalled
    site.release.set()
    assert worker.finish(timeout=20) == 0, worker.seen
    units = {u.source_id: u.state for u in _units(pg, run_id)}
    assert units[_source_id(pg, "slow")] == "done"  # finished, not abandoned
    assert site.hits["slow"] == 1
    assert not any("retried" in line for line in worker.seen), worker.seen


def test_workers_reconnect_after_their_connections_are_cut(
    pg: DatabaseUnderTest, site: Site, tmp_path: Path
) -> None:
    """Not a server restart (the PostgreSQL server is shared by other users): every connection
    of the worker process is terminated with pg_terminate_backend, before a run and while a
    unit is in flight; the run completes, each source once, and `verify --wait` follows it."""
    declare(pg, tmp_path, site.base, [f"r{i}" for i in range(6)])
    worker = _worker(pg, tmp_path)
    name = f"factcheck worker %:{worker.proc.pid}"

    def cut() -> int:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name LIKE %s",
                (name,),
            ).fetchall()
        return len(rows)

    assert cut() >= 1  # idle connections first: the pool hands out live ones only
    cutter = threading.Thread(target=lambda: (site.arrived.wait(20), cut()))
    site.held, site.arrived = {"r2"}, threading.Event()
    cutter.start()
    threading.Timer(1.0, site.release.set).start()  # r2 answers after the cut
    verify = _verify(pg, tmp_path, "--wait", "--json")  # follows the units until judged
    cutter.join(timeout=20)
    assert verify.code == 0, verify
    run_id = _run_id(pg)
    assert verify.json() == {
        "run_id": run_id,
        "status": "succeeded",
        "units": {"queued": 0, "running": 0, "done": 6, "failed": 0},
        "errors": 0,
    }
    status = run_cli("schedule", "status", "--json", db_url=pg.url)
    shown = status.json()
    assert isinstance(shown, dict) and shown["last_run"]["status"] == "succeeded"
    assert shown["last_run_units"] == {"queued": 0, "running": 0, "done": 6, "failed": 0}
    with session_scope(pg.engine) as session:
        rows = session.exec(select(Evidence.source_id).where(Evidence.run_id == run_id)).all()
    assert sorted(Counter(rows).values()) == [1] * 6
    worker.signal(signal.SIGTERM)
    assert worker.finish(timeout=20) == 0, worker.seen


def test_the_procrastinate_executor_is_refused_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    for args in (("verify",), ("worker",)):
        env = {"FACTCHECK_EXECUTOR": "procrastinate"} if args == ("verify",) else {}
        result = run_cli(*args, db_url=url, env=env)
        assert result.code == 2, result
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "PostgreSQL" in result.stderr


def test_units_whose_starter_died_before_deferring_them_are_done_and_judged(
    pg: DatabaseUnderTest, site: Site, tmp_path: Path
) -> None:
    """The starter wrote the run's units and died before deferring one job: a worker finds
    the jobless units once they are older than the stall timeout, defers them, and the run is
    judged (it would otherwise stay running and make every later run wait)."""
    declare(pg, tmp_path, site.base, ["a", "b"])
    settings = make_fast_settings(database_url=pg.url, executor="procrastinate")
    with session_scope(pg.engine) as session:
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    spread.launch(
        engine=pg.engine,
        settings=settings,
        run_id=run_id,
        claim_keys=(),
        force=True,
        defer=lambda *_: None,  # died here: units written, no job deferred
    )
    assert _state_counts(pg, run_id) == Counter(queued=2)
    worker = _worker(pg, tmp_path)
    try:
        wait_until(lambda: _run_status(pg, run_id) == "succeeded", timeout=30)
        assert _state_counts(pg, run_id) == Counter(done=2)
        assert site.hits == Counter(a=1, b=1)
    finally:
        worker.signal(signal.SIGTERM)
        assert worker.finish(timeout=20) == 0, worker.seen
    assert sum(1 for line in worker.seen if "had no job, deferred again" in line) == 2


def _run_status(pg: DatabaseUnderTest, run_id: int) -> str:
    with session_scope(pg.engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run.status


def test_verify_wait_lists_the_failed_sources_as_a_local_run_does(
    pg: DatabaseUnderTest, site: Site, tmp_path: Path
) -> None:
    declare(pg, tmp_path, site.base, ["up", "down"])
    with pg.engine.begin() as conn:  # nothing listens there: a connection error
        conn.execute(sa.text("UPDATE source SET url = 'http://127.0.0.1:9/x' WHERE key = 'down'"))
    worker = _worker(pg, tmp_path)
    try:
        verify = _verify(pg, tmp_path, "--wait")
    finally:
        worker.signal(signal.SIGTERM)
        assert worker.finish(timeout=20) == 0, worker.seen
    assert verify.code == 3, verify
    assert "completed, some sources failed, judged" in verify.stderr, verify.stderr
    failed = [line for line in verify.stderr.splitlines() if "failed: " in line]
    assert len(failed) == 1 and "down (connection) http://127.0.0.1:9/x" in failed[0], failed


def test_a_worker_on_a_queue_nobody_defers_to_is_refused(
    pg: DatabaseUnderTest, tmp_path: Path
) -> None:
    result = run_cli("worker", "--queues", "units,nightly", db_url=pg.url, cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: --queues: no job is ever deferred to 'nightly' (known: units)"
    )
