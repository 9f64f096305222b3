"""Per-host politeness across processes (PgHostPacer, PostgreSQL only; never skipped in CI).

Several real worker processes, each with fetch threads and its own Fetcher and pacer, hammer
two loopback hosts (127.0.0.1 and 127.0.0.2, one counting server each). The servers measure
what the issue promises: requests in flight per host never above the limit (and reaching it,
so the test is not vacuous) and starts spaced by the per-host delay. A control run with the
in-process HostPacer in each process shows the same harness catching the breach.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from factcheck.domain import ErrorCode, SourceFormat
from factcheck.errors import ConfigError, FetchError
from factcheck.fetching.fetcher import Fetcher
from factcheck.fetching.robots import HostPacer, Pacer
from factcheck.storage import db
from factcheck.storage.advisorylock import advisory_key
from factcheck.storage.hostpacer import PgHostPacer
from tests.support import PG_ADMIN_DSN, DatabaseUnderTest, make_fast_settings

ON_POSTGRESQL = pytest.mark.parametrize("database", ["postgresql"], indirect=True)

PROCESSES = 3
THREADS = 4  # per process: 12 fetchers against a limit of 2 per host
REQUESTS_PER_THREAD = 4  # alternating the two hosts: 24 per host
LIMIT = 2
DELAY_S = 0.2
HOLD_S = 0.3  # how long the server holds each request: slots overlap, so both rules bind
# The reservation spaces the clients' starts on the database clock; the server sees each start
# after a scheduling delay of its own (2 cores shared by 3 processes, the server, and whatever
# else runs), up to ~0.1 s under load. That lateness does not add up: any k consecutive starts
# span at least (k - 1) x the delay, less one JITTER_S.
JITTER_S = 0.15


def spaced(starts: list[float]) -> bool:
    """Every run of consecutive starts is at least as long as the delay allows (less jitter)."""
    return all(
        starts[j] - starts[i] >= (j - i) * DELAY_S - JITTER_S
        for i in range(len(starts))
        for j in range(i + 1, len(starts))
    )


@dataclass
class Counts:
    in_flight: int = 0
    max_in_flight: int = 0
    starts: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        counts: Counts = self.server.counts  # type: ignore[attr-defined]
        with counts.lock:
            counts.in_flight += 1
            counts.max_in_flight = max(counts.max_in_flight, counts.in_flight)
            counts.starts.append(time.monotonic())
        time.sleep(HOLD_S)
        # counted out before the reply is sent: the client cannot have let its slot go yet
        with counts.lock:
            counts.in_flight -= 1
        body = b"<html><body>405B parameters</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CountingServer:
    """A threaded server on one loopback address: one host, its in-flight count and starts."""

    def __init__(self, address: str) -> None:
        self._httpd = ThreadingHTTPServer((address, 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 128
        self.counts = Counts()
        self._httpd.counts = self.counts  # type: ignore[attr-defined]
        self.url = f"http://{address}:{self._httpd.server_address[1]}/page"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[CountingServer]]:
    """The two hosts under test, then a third the workers warm up on (not counted)."""
    made = [CountingServer("127.0.0.1"), CountingServer("127.0.0.2"), CountingServer("127.0.0.3")]
    yield made
    for server in made:
        server.close()


def hammer(db_url: str | None, urls: list[str], warm_up: str, ready: Any, go: Any) -> None:
    """One worker process: THREADS fetch threads sharing one Fetcher and one pacer. One fetch
    from another host first: a cold process's first request is late by tens of milliseconds
    (imports, first connection), which the servers would see as a short gap."""
    settings = make_fast_settings(
        workers=THREADS,
        per_host_concurrency=LIMIT,
        per_host_delay_s=DELAY_S,
        read_timeout_s=10.0,
        source_deadline_s=30.0,
    )
    engine = db.make_engine(db_url) if db_url else None
    pacer: Pacer
    if engine is not None:
        pacer = PgHostPacer(engine, concurrency=LIMIT, delay_s=DELAY_S, max_wait_s=60.0)
    else:
        pacer = HostPacer(concurrency=LIMIT, delay_s=DELAY_S)
    with Fetcher(settings, pacer=pacer) as fetcher:
        fetcher.fetch(warm_up, fmt=SourceFormat.HTML)
        ready.release()
        go.wait(30)
        with ThreadPoolExecutor(THREADS) as pool:
            fetched = list(pool.map(lambda u: fetcher.fetch(u, fmt=SourceFormat.HTML), urls))
    assert all(f.status == 200 for f in fetched), [f.status for f in fetched]
    if isinstance(pacer, PgHostPacer):
        pacer.close()


def run_workers(db_url: str | None, servers: list[CountingServer]) -> float:
    """PROCESSES spawned workers, started together; returns the wall time of the hammering."""
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Semaphore(0), ctx.Event()
    *hosts, warm_up = servers
    per_process = THREADS * REQUESTS_PER_THREAD
    urls = [hosts[i % len(hosts)].url + f"?n={i}" for i in range(per_process)]
    args = (db_url, urls, warm_up.url, ready, go)
    workers = [ctx.Process(target=hammer, args=args) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:  # every process imported and built its fetcher
            assert ready.acquire(timeout=60), "a worker process did not start"
        started = time.monotonic()
        go.set()
        for worker in workers:
            worker.join(120)
        assert [w.exitcode for w in workers] == [0] * PROCESSES
        return time.monotonic() - started
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()


@ON_POSTGRESQL
def test_politeness_holds_across_processes(
    database: DatabaseUnderTest, servers: list[CountingServer]
) -> None:
    wall_s = run_workers(database.url, servers)
    hosts = servers[:2]
    per_host = PROCESSES * THREADS * REQUESTS_PER_THREAD // len(hosts)
    one_host_s = per_host * max(DELAY_S, HOLD_S / LIMIT)  # the fastest the rules allow
    for server in hosts:
        counts = server.counts
        assert len(counts.starts) == per_host
        assert counts.max_in_flight == LIMIT  # never above; and reached: the slots overlap
        assert spaced(counts.starts), counts.starts
        gaps = sorted(b - a for a, b in itertools.pairwise(counts.starts))
        assert gaps[len(gaps) // 2] >= DELAY_S - 0.01, gaps  # the typical gap is the delay
    # one host's rules do not hold back the other's: the two were served side by side
    a, b = (sorted(server.counts.starts) for server in hosts)
    together = min(a[-1], b[-1]) - max(a[0], b[0])
    assert together > 0.5 * min(a[-1] - a[0], b[-1] - b[0]), (a, b)
    print(f"{wall_s:.2f} s for {per_host} requests per host (the rules allow {one_host_s:.2f})")


@ON_POSTGRESQL
def test_the_in_process_pacer_alone_lets_the_processes_exceed_the_limit(
    database: DatabaseUnderTest, servers: list[CountingServer]
) -> None:
    """The control: the same harness sees a breach when each process paces only itself."""
    run_workers(None, servers)
    assert max(s.counts.max_in_flight for s in servers[:2]) > LIMIT
    assert not all(spaced(s.counts.starts) for s in servers[:2])  # the delay check bites too


def _slot_backends(database: DatabaseUnderTest, host: str) -> list[int]:
    """The server processes holding one of `host`'s slot locks (this test's schema only)."""
    with database.engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    keys = [advisory_key(f"hostslot:{host}:{i}", schema) for i in range(LIMIT)]
    parts = [((k >> 32) & 0xFFFFFFFF, k & 0xFFFFFFFF) for k in keys]
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid, classid::int8, objid::int8 FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        ).fetchall()
    return [pid for pid, hi, lo in rows if (hi, lo) in parts]


@ON_POSTGRESQL
def test_a_full_host_fails_the_request_after_the_wait_limit(database: DatabaseUnderTest) -> None:
    holder = PgHostPacer(database.engine, concurrency=LIMIT, delay_s=0.0)
    waiter = PgHostPacer(database.engine, concurrency=LIMIT, delay_s=0.0, max_wait_s=0.5)
    try:
        with holder.slot("busy.example"), holder.slot("busy.example"):
            assert len(_slot_backends(database, "busy.example")) == LIMIT
            asked = time.monotonic()
            with pytest.raises(FetchError) as caught, waiter.slot("busy.example"):
                pass
            assert 0.5 <= time.monotonic() - asked < 2.0
            assert caught.value.code == ErrorCode.TIMEOUT
            assert "busy.example" in str(caught.value)
            with waiter.slot("other.example") as waited_s:  # another host is not held back
                assert waited_s < 0.5
        # released: the idle connections kept for the next slots hold no lock
        assert _slot_backends(database, "busy.example") == []
        with waiter.slot("busy.example") as waited_s:  # free at once
            assert waited_s < 0.5
        assert _slot_backends(database, "busy.example") == []
    finally:
        holder.close()
        waiter.close()


@ON_POSTGRESQL
def test_a_slot_whose_session_died_is_released_without_error(
    database: DatabaseUnderTest,
) -> None:
    pacer = PgHostPacer(database.engine, concurrency=1, delay_s=0.0, max_wait_s=2.0)
    try:
        with pacer.slot("lost.example"):
            backends = _slot_backends(database, "lost.example")
            assert len(backends) == 1
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (backends[0],))
        # the lock died with the session: the next request gets the slot on a new connection
        with pacer.slot("lost.example") as waited_s:
            assert waited_s < 1.0
            assert len(_slot_backends(database, "lost.example")) == 1
    finally:
        pacer.close()


@ON_POSTGRESQL
def test_starts_are_reserved_on_the_shared_row(database: DatabaseUnderTest) -> None:
    """One process, two pacers (two "machines"): the second waits out the first's delay, and a
    robots Crawl-delay larger than the default widens the gap."""
    first = PgHostPacer(database.engine, concurrency=4, delay_s=0.2)
    second = PgHostPacer(database.engine, concurrency=4, delay_s=0.2)
    try:
        starts = []
        for pacer, crawl_delay_s in ((first, 0.0), (second, 0.0), (first, 0.5), (second, 0.0)):
            with pacer.slot("paced.example", delay_s=crawl_delay_s):
                starts.append(time.monotonic())
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        # a start may come late by its trip back from the database, never early
        slack_s = 0.03
        assert 0.2 - slack_s < gaps[0] < 1.0, gaps
        assert 0.5 - slack_s < gaps[2] < 1.3, gaps  # the Crawl-delay of the start before
        with database.engine.connect() as conn:
            hosts = conn.execute(sa.text("SELECT host FROM hostpace")).scalars().all()
        assert hosts == ["paced.example"]
    finally:
        first.close()
        second.close()


def test_the_database_pacer_refuses_sqlite() -> None:
    with pytest.raises(ConfigError, match="needs PostgreSQL"):
        PgHostPacer(sa.create_engine("sqlite://"), concurrency=2, delay_s=1.0)


@ON_POSTGRESQL
def test_a_request_that_cannot_wait_for_its_start_reserves_nothing(
    database: DatabaseUnderTest,
) -> None:
    """A host's next start beyond what a request may wait fails that request at once, and
    leaves the host's horizon where it was: requests that give up must not push it further
    for everyone (with a long Crawl-delay it would run away)."""
    slow = PgHostPacer(database.engine, concurrency=4, delay_s=5.0)
    hurried = PgHostPacer(database.engine, concurrency=4, delay_s=0.1, max_wait_s=0.5)
    try:
        with slow.slot("crawl.example"):  # the next start is now 5 s away
            pass
        with database.engine.connect() as conn:
            query = sa.text("SELECT next_start_at FROM hostpace WHERE host = 'crawl.example'")
            horizon = conn.execute(query).scalar_one()
        for _ in range(3):
            asked = time.monotonic()
            with pytest.raises(FetchError) as caught, hurried.slot("crawl.example"):
                pass
            assert caught.value.code == ErrorCode.TIMEOUT
            assert time.monotonic() - asked < 0.5  # told at once, not after sleeping
        with database.engine.connect() as conn:
            assert conn.execute(query).scalar_one() == horizon
    finally:
        slow.close()
        hurried.close()
