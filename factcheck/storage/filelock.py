"""The lock on SQLite: an OS lock (`flock`) on a file beside the database, and a lease row.

The file (`factcheck.db.run.lock`) is released by the kernel when the holder's process dies,
however it dies. It is taken before anything is written, and a process that cannot take it
never takes the lock over, whatever the age of the lease row: a live holder stalled for minutes
(a CPU-bound match starving the heartbeat thread) keeps its lock. The lease row in `runlock`
stays, for `schedule status` and error messages: it names the holder, and the heartbeat keeps
its expiry moving. A holder killed with SIGKILL leaves its row behind; the next taker gets the
file lock at once and overwrites the row. An in-memory database (one process) has no file to
lock and keeps the lease row alone, taken over once it expires or when its holder was a process
on this machine that no longer exists.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from factcheck.storage.db import sqlite_path
from factcheck.storage.leases import Clock, Holder, Lease, dead_here
from factcheck.storage.models import RunLock

log = logging.getLogger(__name__)

TABLE: sa.Table = RunLock.__table__  # type: ignore[attr-defined]


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


def file_held(path: Path) -> bool:
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
    """A lease row, with the file lock that makes it ours when the database is a file."""

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
                TABLE.update()
                .where(TABLE.c.name == self.name, TABLE.c.holder == self.holder)
                .values(heartbeat_at=stamp, expires_at=stamp + self._lease)
            )
        return self._fd is not None or done.rowcount == 1

    def release(self) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    TABLE.delete().where(TABLE.c.name == self.name, TABLE.c.holder == self.holder)
                )
        finally:
            if self._fd is not None:
                os.close(self._fd)  # releases the flock
                self._fd = None


def sqlite_try(
    engine: Engine,
    *,
    name: str,
    holder: str,
    lease_s: int,
    now: Clock,
    is_alive: Callable[[int], bool],
) -> Lease | Holder:
    """The file lock and the lease row taken now, or who holds them (never taken over)."""
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
        insert = sqlite_insert(TABLE).values(**values)
        with engine.begin() as conn:
            left = conn.execute(sa.select(TABLE.c.holder).where(TABLE.c.name == name)).first()
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
    """The lease row of `holder`, acquired at `stamp` and expiring `lease_s` later."""
    return {
        "name": name,
        "holder": holder,
        "acquired_at": stamp,
        "heartbeat_at": stamp,
        "expires_at": stamp + timedelta(seconds=lease_s),
    }


def _row(engine: Engine, name: str) -> Any:
    """The lease row of lock `name`, or None."""
    with engine.connect() as conn:
        return conn.execute(sa.select(TABLE).where(TABLE.c.name == name)).first()


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
    insert = sqlite_insert(TABLE).values(**values)
    # One statement: take the row when it is free or expired; SQLite serialises writers.
    upsert = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={k: insert.excluded[k] for k in values if k != "name"},
        where=TABLE.c.expires_at < stamp,
    )
    lease = _RowLease(name=name, holder=holder, engine=engine, lease_s=lease_s, now=now)
    with engine.begin() as conn:
        conn.execute(upsert)
        row = conn.execute(sa.select(TABLE).where(TABLE.c.name == name)).one()
    if row.holder == holder:
        return lease
    if dead_here(row.holder, is_alive):
        with engine.begin() as conn:
            taken = conn.execute(
                TABLE.update()
                .where(TABLE.c.name == name, TABLE.c.holder == row.holder)
                .values(**{k: v for k, v in values.items() if k != "name"})
            )
        if taken.rowcount == 1:
            log.warning("took over the %s lock from %s: that process is gone", name, row.holder)
            return lease
    return Holder(name=name, holder=row.holder, since=row.acquired_at, expires_at=row.expires_at)
