"""Per-host politeness shared by every worker on every machine, kept in PostgreSQL.

`PgHostPacer` is the `fetching.robots.Pacer` of a run spread over worker processes: the same
two rules as the in-process `HostPacer`, held in the database the workers already share, so no
other service is needed.

- At most `concurrency` requests in flight per host: slot i of a host is the session-level
  advisory lock `advisory_key("hostslot:<host>:<i>", schema)`, taken with
  `pg_try_advisory_lock` on a connection of its own for as long as the slot is held. A worker
  that dies loses its session and with it the slot, at once; no row is left to clean up.
- Starts at least max(delay_s, self.delay_s) apart per host: once it holds a slot, a request
  reserves its start with one atomic upsert on `hostpace` (the row lock serialises holders of
  the same host on every machine) and sleeps until the reserved time.

Waits are bounded: a slot not found (or a database not answering) within `max_wait_s` raises
FetchError(timeout) for that source instead of hanging the worker.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from factcheck.domain import ErrorCode
from factcheck.errors import ConfigError, FetchError
from factcheck.storage.advisorylock import advisory_key

log = logging.getLogger(__name__)

WAIT_ROUND_MS = 250  # a round queues this long on one taken slot before trying them all again
RETRY_S = 0.2  # between two attempts while the database does not answer
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock wait ended by lock_timeout
MAX_WAIT_S = 300.0  # the longest a request waits for a slot and its start before it fails
STATEMENT_TIMEOUT_MS = 10_000  # a statement on a hung server fails rather than blocks

# The start is reserved and measured on the DATABASE clock, and only the difference
# (reserved start - the server's clock when it answers) crosses to this machine, as a duration
# to sleep. Machines whose clocks disagree therefore still space their starts by the delay: no
# two clocks are ever compared. clock_timestamp(), not now(): the time after any wait for the
# row lock, so a request that waited is not given a start already in the past. The trip back
# only makes the sleep longer.
_RESERVE = sa.text(
    "INSERT INTO hostpace (host, next_start_at) "
    "VALUES (:host, clock_timestamp() + make_interval(secs => :delay)) "
    "ON CONFLICT (host) DO UPDATE SET next_start_at = "
    "GREATEST(clock_timestamp(), hostpace.next_start_at) + make_interval(secs => :delay) "
    # a start later than the caller may wait is not reserved: a request that gives up must
    # not push the host's next start further for everyone (it would run away)
    "WHERE hostpace.next_start_at <= clock_timestamp() + make_interval(secs => :within) "
    "RETURNING EXTRACT(EPOCH FROM "
    "(next_start_at - make_interval(secs => :delay) - clock_timestamp()))::float8"
)


_UNLOCK_ALL = sa.text("SELECT pg_advisory_unlock_all()")


class PgHostPacer:
    """Per host, across processes and machines: at most `concurrency` requests in flight,
    starts at least `delay_s` apart (or the robots Crawl-delay when larger).

    Thread-safe: one pacer serves every fetch thread of a worker process. Each thread inside
    `slot()` (holding a slot or queueing for one) uses a connection of its own, so a worker
    opens at most as many as it has fetch threads; released ones are kept idle for the next
    slot (a connect costs more than a request to a fast host) until `close()`.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        concurrency: int,
        delay_s: float,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ConfigError(
                f"per-host pacing in the database needs PostgreSQL, not {engine.dialect.name}"
            )
        self._concurrency = max(1, concurrency)
        self._delay_s = max(0.0, delay_s)
        self._max_wait_s = max_wait_s
        # pool-less: each slot's connection is its own session, held while the slot is
        self._engine = sa.create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": 5,
                "keepalives_idle": 10,
                "keepalives_count": 3,
                "application_name": "factcheck hostpacer",
            },
        )
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._schema: str | None = None

    @property
    def concurrency(self) -> int:
        return self._concurrency

    @contextmanager
    def slot(self, host: str, *, delay_s: float = 0.0) -> Iterator[float]:
        """Hold one of `host`'s slots; yields how long we waited for it (seconds)."""
        asked = time.monotonic()
        conn = self._hold(host, gap=max(self._delay_s, delay_s), deadline=asked + self._max_wait_s)
        try:
            yield time.monotonic() - asked
        finally:
            self._release(conn)

    def close(self) -> None:
        """Close the idle connections (held slots close theirs when released)."""
        self._drop_idle()
        self._engine.dispose()

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)

    def __enter__(self) -> PgHostPacer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _hold(self, host: str, *, gap: float, deadline: float) -> Connection:
        """A slot of `host` held and its start reached. A database lost while reserving the
        start loses the slot with its session: start again, within the same deadline."""
        while True:
            conn = self._acquire(host, deadline=deadline)
            try:
                if gap > 0:
                    self._wait_for_start(conn, host, gap=gap, deadline=deadline)
                return conn
            except SQLAlchemyError as exc:
                _close_quietly(conn)
                self._drop_idle()
                if time.monotonic() >= deadline:
                    raise FetchError(
                        ErrorCode.TIMEOUT,
                        f"no politeness slot of host {host!r} within {self._max_wait_s:g} s: "
                        f"the database did not answer: {_one_line(exc)}",
                    ) from exc
            except BaseException:
                self._release(conn)
                raise

    def _acquire(self, host: str, *, deadline: float) -> Connection:
        """A connection holding one of `host`'s slot locks; waits until the deadline."""
        last_error = ""
        while True:
            try:
                held = self._try_slots(host)
            except SQLAlchemyError as exc:  # the database restarting: try again, bounded
                last_error = f"; the database did not answer: {_one_line(exc)}"
                self._drop_idle()  # a restart ended every session: do not try them one by one
                time.sleep(RETRY_S)
                held = None
            if held is not None:
                return held
            if time.monotonic() >= deadline:
                raise FetchError(
                    ErrorCode.TIMEOUT,
                    f"waited {self._max_wait_s:g} s for one of the {self._concurrency} "
                    f"politeness slots of host {host!r}, all taken by other workers{last_error}",
                )

    def _try_slots(self, host: str) -> Connection | None:
        """One round: try each slot once, starting at a random one; when all are taken, queue
        on that one for up to WAIT_ROUND_MS (the server hands a freed lock to its waiters, in
        order, at once: no polling delay, no starving). None when the round ends empty."""
        conn = self._checkout()
        try:
            schema = self._schema_of(conn)
            first = random.randrange(self._concurrency)
            keys = [
                advisory_key(f"hostslot:{host}:{(first + i) % self._concurrency}", schema)
                for i in range(self._concurrency)
            ]
            for key in keys:
                if conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                    return conn
            try:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": keys[0]})
                return conn
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
            # the server may grant the lock at the instant the wait times out and still report
            # the timeout, leaving it held by this session: let go of whatever it holds
            conn.execute(_UNLOCK_ALL)
        except BaseException:
            _close_quietly(conn)  # it may hold a lock we did not see granted: end its session
            raise
        self._checkin(conn)
        return None

    def _wait_for_start(self, conn: Connection, host: str, *, gap: float, deadline: float) -> None:
        """Reserve this request's start on `hostpace` and sleep until it."""
        within = max(0.0, deadline - time.monotonic())
        pause = conn.execute(
            _RESERVE, {"host": host, "delay": gap, "within": within}
        ).scalar_one_or_none()
        if pause is not None and pause <= 0:
            return
        if pause is None or time.monotonic() + pause > deadline:  # nothing was reserved then
            raise FetchError(
                ErrorCode.TIMEOUT,
                f"host {host!r} may not be asked again within the {self._max_wait_s:g} s a "
                "request waits (per-host delay)",
            )
        time.sleep(pause)

    def _release(self, conn: Connection) -> None:
        """Unlock and keep the connection idle; a dead connection is closed (its session, and
        the lock with it, is gone already). All of the session's advisory locks go: an idle
        connection holds none (a lock taken twice by one session would need two unlocks)."""
        try:
            conn.execute(_UNLOCK_ALL)
        except SQLAlchemyError as exc:
            log.info("host slot released with its lost session: %s", _one_line(exc))
            _close_quietly(conn)
            return
        self._checkin(conn)

    def _checkout(self) -> Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            conn.execute(sa.text(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            # bounds the queueing on a slot; the hostpace row is locked for microseconds
            conn.execute(sa.text(f"SET lock_timeout = {WAIT_ROUND_MS}"))
            # a reservation lost in a crash costs nothing (the next start is only earlier):
            # no WAL flush per request (4 ms -> 2.7 ms a reserved slot on this machine)
            conn.execute(sa.text("SET synchronous_commit = off"))
        except BaseException:
            _close_quietly(conn)
            raise
        return conn

    def _checkin(self, conn: Connection) -> None:
        with self._lock:
            self._idle.append(conn)

    def _schema_of(self, conn: Connection) -> str:
        """The schema the keys are scoped to (as advisorylock does): databases in separate
        schemas of one server do not share hosts' slots."""
        if self._schema is None:
            self._schema = str(conn.execute(sa.text("SELECT current_schema()")).scalar_one())
        return self._schema


def _close_quietly(conn: Connection) -> None:
    try:
        conn.close()
    except SQLAlchemyError as exc:
        log.debug("closing a pacer connection: %s", exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
