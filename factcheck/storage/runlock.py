"""One holder at a time, across processes: a named lock kept in the database itself.

Two names are used: `scheduler` (held for the life of a `factcheck schedule` process, so that a
second scheduler on the same database refuses to start) and `run` (held while a verification
run writes, whoever started it).

PostgreSQL: a session-level advisory lock, taken on a dedicated connection that lives as long as
the lock. The key is derived from the lock name and the current schema, so that databases in
separate schemas do not block one another. A holder that dies loses its session, and with it
the lock, at once. The holder's name is the connection's `application_name`.

SQLite: an OS lock (`flock`) on a file beside the database (`factcheck.db.run.lock`), which the
kernel releases when the holder's process dies, however it dies. It is taken before anything is
written, and a process that cannot take it never takes the lock over, whatever the age of the
lease row: a live holder stalled for minutes (a CPU-bound match starving the heartbeat thread)
keeps its lock. The lease row in `runlock` stays, for `schedule status` and error messages: it
names the holder, and the heartbeat keeps its expiry moving. A holder killed with SIGKILL leaves
its row behind; the next taker gets the file lock at once and overwrites the row.
An in-memory database (one process) has no file to lock and keeps the lease row alone, taken
over once it expires or when its holder was a process on this machine that no longer exists.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from factcheck.config import Settings
from factcheck.domain import utcnow
from factcheck.errors import DatabaseError, FactcheckError, LockHeldError
from factcheck.storage.db import sqlite_path
from factcheck.storage.models import RunLock

log = logging.getLogger(__name__)

SCHEDULER_LOCK = "scheduler"
RUN_LOCK = "run"
WAIT_POLL_S = 1.0  # how often a waiting holder tries again
_WHAT = {
    SCHEDULER_LOCK: "a scheduler is already running on this database",
    RUN_LOCK: "another verification run is in progress",
}
_TABLE: sa.Table = RunLock.__table__  # type: ignore[attr-defined]

Clock = Callable[[], datetime]


def new_holder() -> str:
    """host:pid:token, unique per acquisition (two locks taken by one process differ)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _dead_here(holder: str, is_alive: Callable[[int], bool]) -> bool:
    """The holder was a process on this machine that no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname()[:120] and pid.isdigit() and not is_alive(int(pid))


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, for `schedule status` and error messages."""

    name: str
    holder: str
    since: datetime | None = None
    expires_at: datetime | None = None  # SQLite leases only
    expired: bool = False  # the lease ran out: the next taker gets it

    def describe(self) -> str:
        text = self.holder
        if self.since is not None:
            text += f" since {self.since:%Y-%m-%d %H:%M:%S} UTC"
        if self.expired:
            text += " (lease expired)"
        return text


class Lease:
    """A held lock. `renew` says whether it is still held; `release` gives it up."""

    def __init__(self, *, name: str, holder: str) -> None:
        self.name = name
        self.holder = holder
        self.beats: list[Callable[[], None]] = []  # also called on each heartbeat

    def renew(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


# -- PostgreSQL: advisory locks -----------------------------------------------------------------


def _advisory_key(name: str, schema: str) -> int:
    digest = hashlib.sha256(f"factcheck:{name}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _key_parts(key: int) -> dict[str, int]:
    """pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits)."""
    return {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}


_PG_HOLDER = sa.text(
    "SELECT a.application_name, a.pid, a.backend_start FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid::int8 = :hi AND l.objid::int8 = :lo"
)


class _AdvisoryLease(Lease):
    def __init__(self, *, name: str, holder: str, engine: Engine, conn: Connection, key: int):
        super().__init__(name=name, holder=holder)
        self._engine, self._conn, self._key = engine, conn, key

    def renew(self) -> bool:
        query = sa.text(_PG_HOLDER.text + " AND l.pid = pg_backend_pid()")
        try:
            return self._conn.execute(query, _key_parts(self._key)).first() is not None
        except SQLAlchemyError:  # the session is gone, and the lock with it
            return False

    def release(self) -> None:
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        except SQLAlchemyError as exc:  # closing the session below releases it anyway
            log.warning("advisory unlock failed: %s", exc)
        finally:
            self._conn.close()
            self._engine.dispose()


def _lock_engine(engine: Engine) -> Engine:
    """A pool-less engine: the lock's connection is its own session, closed with the lock.

    The connection is checked out once and held: no pool can recycle, pre-ping or hand it to
    another user while the lock lives, so the lock ends only when the holder lets go or dies.
    """
    return sa.create_engine(engine.url, poolclass=NullPool, connect_args={"connect_timeout": 5})


def _pg_try(engine: Engine, *, name: str, holder: str) -> Lease | Holder:
    lock_engine = _lock_engine(engine)
    conn = lock_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        key = _advisory_key(name, schema)
        conn.execute(sa.text("SELECT set_config('application_name', :h, false)"), {"h": holder})
        if conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            return _AdvisoryLease(name=name, holder=holder, engine=lock_engine, conn=conn, key=key)
        found = _pg_holder(conn, name=name, key=key)
    except BaseException:
        conn.close()
        lock_engine.dispose()
        raise
    conn.close()
    lock_engine.dispose()
    return found or Holder(name=name, holder="unknown")


def _pg_holder(conn: Connection, *, name: str, key: int) -> Holder | None:
    row = conn.execute(_PG_HOLDER, _key_parts(key)).first()
    if row is None:
        return None
    return Holder(name=name, holder=row.application_name or f"pid {row.pid}", since=row[2])


# -- SQLite: a file lock, and a lease row that names the holder ---------------------------------


def lock_file(engine: Engine, name: str) -> Path | None:
    """The file beside the database that the `name` lock is taken on (None: in memory)."""
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    return None if path is None else path.with_name(f"{path.name}.{name}.lock")


def _flock(path: Path) -> int | None:
    """An open descriptor holding an exclusive flock on `path`, or None when another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _file_held(path: Path) -> bool:
    """Whether some process holds the file lock (probed with a shared lock, let go at once)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the probe's shared lock
    return False


class _RowLease(Lease):
    def __init__(
        self,
        *,
        name: str,
        holder: str,
        engine: Engine,
        lease_s: int,
        now: Clock,
        fd: int | None = None,
    ):
        super().__init__(name=name, holder=holder)
        self._engine, self._lease, self._now = engine, timedelta(seconds=lease_s), now
        self._fd = fd  # the flock; None for an in-memory database

    def renew(self) -> bool:
        """Move the row's expiry; with the file lock held, the lock is ours whatever the row."""
        stamp = self._now()
        with self._engine.begin() as conn:
            done = conn.execute(
                _TABLE.update()
                .where(_TABLE.c.name == self.name, _TABLE.c.holder == self.holder)
                .values(heartbeat_at=stamp, expires_at=stamp + self._lease)
            )
        return self._fd is not None or done.rowcount == 1

    def release(self) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    _TABLE.delete().where(
                        _TABLE.c.name == self.name, _TABLE.c.holder == self.holder
                    )
                )
        finally:
            if self._fd is not None:
                os.close(self._fd)  # releases the flock
                self._fd = None


def _sqlite_try(
    engine: Engine,
    *,
    name: str,
    holder: str,
    lease_s: int,
    now: Clock,
    is_alive: Callable[[int], bool],
) -> Lease | Holder:
    path = lock_file(engine, name)
    if path is None:
        return _row_try(
            engine, name=name, holder=holder, lease_s=lease_s, now=now, is_alive=is_alive
        )
    fd = _flock(path)
    if fd is None:  # a live process holds it: never taken over, however old its lease row
        row = _row(engine, name)
        if row is None:
            return Holder(name=name, holder="unknown (starting or stopping)")
        return Holder(
            name=name, holder=row.holder, since=row.acquired_at, expires_at=row.expires_at
        )
    try:
        stamp = now()
        values = _lease_values(name=name, holder=holder, stamp=stamp, lease_s=lease_s)
        insert = sqlite_insert(_TABLE).values(**values)
        with engine.begin() as conn:
            left = conn.execute(sa.select(_TABLE.c.holder).where(_TABLE.c.name == name)).first()
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["name"],
                    set_={k: insert.excluded[k] for k in values if k != "name"},
                )
            )
    except BaseException:
        os.close(fd)
        raise
    if left is not None:
        log.warning("took the %s lock left by %s: that process is gone", name, left.holder)
    return _RowLease(name=name, holder=holder, engine=engine, lease_s=lease_s, now=now, fd=fd)


def _lease_values(*, name: str, holder: str, stamp: datetime, lease_s: int) -> dict[str, Any]:
    return {
        "name": name,
        "holder": holder,
        "acquired_at": stamp,
        "heartbeat_at": stamp,
        "expires_at": stamp + timedelta(seconds=lease_s),
    }


def _row(engine: Engine, name: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(_TABLE).where(_TABLE.c.name == name)).first()


def _row_try(
    engine: Engine,
    *,
    name: str,
    holder: str,
    lease_s: int,
    now: Clock,
    is_alive: Callable[[int], bool],
) -> Lease | Holder:
    """The lease row alone (an in-memory database): taken when free, expired or left behind."""
    stamp = now()
    values = _lease_values(name=name, holder=holder, stamp=stamp, lease_s=lease_s)
    insert = sqlite_insert(_TABLE).values(**values)
    # One statement: take the row when it is free or expired; SQLite serialises writers.
    upsert = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={k: insert.excluded[k] for k in values if k != "name"},
        where=_TABLE.c.expires_at < stamp,
    )
    lease = _RowLease(name=name, holder=holder, engine=engine, lease_s=lease_s, now=now)
    with engine.begin() as conn:
        conn.execute(upsert)
        row = conn.execute(sa.select(_TABLE).where(_TABLE.c.name == name)).one()
    if row.holder == holder:
        return lease
    if _dead_here(row.holder, is_alive):
        with engine.begin() as conn:
            taken = conn.execute(
                _TABLE.update()
                .where(_TABLE.c.name == name, _TABLE.c.holder == row.holder)
                .values(**{k: v for k, v in values.items() if k != "name"})
            )
        if taken.rowcount == 1:
            log.warning("took over the %s lock from %s: that process is gone", name, row.holder)
            return lease
    return Holder(name=name, holder=row.holder, since=row.acquired_at, expires_at=row.expires_at)


# -- the API ------------------------------------------------------------------------------------


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
            got = _pg_try(engine, name=name, holder=holder)
        else:
            got = _sqlite_try(
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
                return _pg_holder(conn, name=name, key=_advisory_key(name, schema))
            row = conn.execute(sa.select(_TABLE).where(_TABLE.c.name == name)).first()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read the {name} lock: {exc}") from exc
    if row is None:
        return None
    expired = row.expires_at < now()
    path = lock_file(engine, name)
    if path is not None and expired:  # a stalled heartbeat, or a holder that is gone?
        expired = not _file_held(path)
    return Holder(
        name=name,
        holder=row.holder,
        since=row.acquired_at,
        expires_at=row.expires_at,
        expired=expired,
    )
