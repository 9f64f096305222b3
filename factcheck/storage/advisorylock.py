"""The lock on PostgreSQL: a session-level advisory lock on a dedicated connection.

The connection lives as long as the lock. The key is derived from the lock name and the
current schema, so that databases in separate schemas do not block one another. A holder that
dies loses its session, and with it the lock, at once. The holder's name is the connection's
`application_name`.
"""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from factcheck.storage.leases import Holder, Lease

log = logging.getLogger(__name__)


def advisory_key(name: str, schema: str) -> int:
    """The lock's bigint key: a hash of its name and schema, so schemas do not collide."""
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
    """An advisory lock held by its own connection; releasing it closes that session."""

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


def pg_try(engine: Engine, *, name: str, holder: str) -> Lease | Holder:
    """The advisory lock taken now, or who holds it; the connection is kept only when held."""
    lock_engine = _lock_engine(engine)
    conn = lock_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        key = advisory_key(name, schema)
        conn.execute(sa.text("SELECT set_config('application_name', :h, false)"), {"h": holder})
        if conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            return _AdvisoryLease(name=name, holder=holder, engine=lock_engine, conn=conn, key=key)
        found = pg_holder(conn, name=name, key=key)
    except BaseException:
        conn.close()
        lock_engine.dispose()
        raise
    conn.close()
    lock_engine.dispose()
    return found or Holder(name=name, holder="unknown")


def pg_holder(conn: Connection, *, name: str, key: int) -> Holder | None:
    """The session holding the advisory lock `key`, named by its application_name."""
    row = conn.execute(_PG_HOLDER, _key_parts(key)).first()
    if row is None:
        return None
    return Holder(name=name, holder=row.application_name or f"pid {row.pid}", since=row[2])
