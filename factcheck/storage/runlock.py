"""One holder at a time, across processes: a named lock kept in the database itself.

Two names are used: `scheduler` (held for the life of a `factcheck schedule` process, so that a
second scheduler on the same database refuses to start) and `run` (held while a verification
run writes, whoever started it).

This module is the API (take, wait for, hold with a heartbeat, show the holder). The lock
itself is a PostgreSQL advisory lock (advisorylock.py: a dead holder's session, and with it
the lock, ends at once) or, on SQLite, a `flock` on a file beside the database plus a lease row
that names the holder (filelock.py: never taken over from a live process, however stalled).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from factcheck.config import Settings
from factcheck.domain import utcnow
from factcheck.errors import DatabaseError, FactcheckError, LockHeldError
from factcheck.storage.advisorylock import advisory_key, pg_holder, pg_try
from factcheck.storage.filelock import TABLE, file_held, lock_file, sqlite_try
from factcheck.storage.leases import Clock, Holder, Lease, new_holder, pid_alive

__all__ = [
    "RUN_LOCK",
    "SCHEDULER_LOCK",
    "WAIT_POLL_S",
    "Clock",
    "Holder",
    "Lease",
    "acquire",
    "current_holder",
    "hold",
    "lock_file",
    "new_holder",
    "pid_alive",
    "try_acquire",
]

log = logging.getLogger(__name__)

SCHEDULER_LOCK = "scheduler"
RUN_LOCK = "run"
WAIT_POLL_S = 1.0  # how often a waiting holder tries again
_WHAT = {
    SCHEDULER_LOCK: "a scheduler is already running on this database",
    RUN_LOCK: "another verification run is in progress",
}


def try_acquire(
    *,
    engine: Engine,
    settings: Settings,
    name: str,
    holder: str | None = None,
    now: Clock = utcnow,
    is_alive: Callable[[int], bool] = pid_alive,
) -> Lease:
    """Take the lock now or raise LockHeldError naming who holds it."""
    holder = holder or new_holder()
    try:
        if engine.dialect.name == "postgresql":
            got = pg_try(engine, name=name, holder=holder)
        else:
            got = sqlite_try(
                engine,
                name=name,
                holder=holder,
                lease_s=settings.lock_lease_s,
                now=now,
                is_alive=is_alive,
            )
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot take the {name} lock: {exc}") from exc
    except OSError as exc:  # the lock file beside a SQLite database cannot be opened
        raise DatabaseError(f"cannot take the {name} lock: {exc}") from exc
    if isinstance(got, Holder):
        raise LockHeldError(f"{_WHAT.get(name, name + ' lock held')} (held by {got.describe()})")
    return got


def acquire(
    *,
    engine: Engine,
    settings: Settings,
    name: str,
    wait: bool = False,
    stop: threading.Event | None = None,
    on_wait: Callable[[str], None] | None = None,
    poll_s: float = WAIT_POLL_S,
    now: Clock = utcnow,
) -> Lease:
    """Take the lock; with `wait`, try again every `poll_s` until it is free or `stop` is set."""
    stop = stop or threading.Event()
    told = False
    holder = new_holder()
    while True:
        try:
            return try_acquire(engine=engine, settings=settings, name=name, holder=holder, now=now)
        except LockHeldError as exc:
            if not wait or stop.is_set():
                raise
            if not told and on_wait is not None:
                on_wait(str(exc))
            told = True
        if stop.wait(poll_s):
            raise LockHeldError(f"stopped while waiting for the {name} lock")


class _Heartbeat(threading.Thread):
    """Renews a lease every `interval_s`; tells `on_lost` when it was taken over."""

    def __init__(
        self, lease: Lease, *, interval_s: float, on_lost: Callable[[], None] | None
    ) -> None:
        super().__init__(name=f"factcheck-{lease.name}-heartbeat", daemon=True)
        self.lease, self.interval_s, self.on_lost = lease, interval_s, on_lost
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval_s):
            try:
                held = self.lease.renew()
                for beat in list(self.lease.beats):
                    beat()
            except (SQLAlchemyError, FactcheckError) as exc:  # a busy database: try next time
                log.warning("heartbeat of the %s lock failed: %s", self.lease.name, exc)
                continue
            if not held:
                log.error("lost the %s lock (%s)", self.lease.name, self.lease.holder)
                if self.on_lost is not None:
                    self.on_lost()
                return


@contextmanager
def hold(
    *,
    engine: Engine,
    settings: Settings,
    name: str,
    wait: bool = False,
    stop: threading.Event | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_lost: Callable[[], None] | None = None,
    now: Clock = utcnow,
) -> Iterator[Lease]:
    """Hold the lock for the block, with a heartbeat; released however the block ends."""
    lease = acquire(
        engine=engine, settings=settings, name=name, wait=wait, stop=stop, on_wait=on_wait, now=now
    )
    heartbeat = _Heartbeat(lease, interval_s=settings.lock_lease_s / 4, on_lost=on_lost)
    heartbeat.start()
    try:
        yield lease
    finally:
        heartbeat.done.set()
        heartbeat.join()
        try:
            lease.release()
        except SQLAlchemyError as exc:  # the lease expires on its own
            log.warning("could not release the %s lock: %s", name, exc)


def current_holder(*, engine: Engine, name: str, now: Clock = utcnow) -> Holder | None:
    """Who holds the lock now, or None. An expired SQLite lease is shown as expired."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
                return pg_holder(conn, name=name, key=advisory_key(name, schema))
            row = conn.execute(sa.select(TABLE).where(TABLE.c.name == name)).first()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read the {name} lock: {exc}") from exc
    if row is None:
        return None
    expired = row.expires_at < now()
    path = lock_file(engine, name)
    if path is not None and expired:  # a stalled heartbeat, or a holder that is gone?
        expired = not file_held(path)
    return Holder(
        name=name,
        holder=row.holder,
        since=row.acquired_at,
        expires_at=row.expires_at,
        expired=expired,
    )
