"""The run lock on both backends: one holder, a clear refusal, release, waiting, takeover."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from factcheck.config import Settings
from factcheck.errors import LockHeldError
from factcheck.storage import runlock
from tests.support import PG_ADMIN_DSN, DatabaseUnderTest

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
SETTINGS = Settings(lock_lease_s=60)


def _take(database: DatabaseUnderTest, name: str = runlock.RUN_LOCK, **kwargs: object):
    return runlock.try_acquire(
        engine=database.engine,
        settings=SETTINGS,
        name=name,
        **kwargs,  # type: ignore[arg-type]
    )


def test_one_holder_at_a_time_and_release(database: DatabaseUnderTest) -> None:
    lease = _take(database)
    try:
        with pytest.raises(LockHeldError, match="another verification run is in progress") as held:
            _take(database)
        assert held.value.exit_code == 5
        assert lease.holder in str(held.value)  # the message names the holder
        found = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK)
        assert found is not None and found.holder == lease.holder and not found.expired
        # another name is another lock
        other = _take(database, name=runlock.SCHEDULER_LOCK)
        other.release()
    finally:
        lease.release()
    assert runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK) is None
    _take(database).release()


def test_hold_releases_when_the_block_raises(database: DatabaseUnderTest) -> None:
    with (
        pytest.raises(RuntimeError),
        runlock.hold(engine=database.engine, settings=SETTINGS, name=runlock.RUN_LOCK),
    ):
        raise RuntimeError("boom")
    _take(database).release()


def test_a_waiter_gets_the_lock_when_the_holder_lets_go(database: DatabaseUnderTest) -> None:
    holder = _take(database)
    waiting = threading.Event()

    def on_wait(why: str) -> None:
        assert "in progress" in why
        waiting.set()
        holder.release()  # the holder finishes while the waiter waits

    lease = runlock.acquire(
        engine=database.engine,
        settings=SETTINGS,
        name=runlock.RUN_LOCK,
        wait=True,
        on_wait=on_wait,
        poll_s=0.01,
    )
    assert waiting.is_set()
    lease.release()


def test_a_stopped_waiter_gives_up(database: DatabaseUnderTest) -> None:
    holder = _take(database)
    stop = threading.Event()
    try:
        with pytest.raises(LockHeldError, match="stopped while waiting"):
            runlock.acquire(
                engine=database.engine,
                settings=SETTINGS,
                name=runlock.RUN_LOCK,
                wait=True,
                stop=stop,
                on_wait=lambda _why: stop.set(),
                poll_s=0.01,
            )
    finally:
        holder.release()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_an_expired_lease_of_a_live_holder_is_never_taken_over(
    database: DatabaseUnderTest,
) -> None:
    # a holder whose heartbeat stalled (a CPU-bound match): its lease row ran out an hour ago,
    # but it still holds the file lock beside the database
    stalled = _take(database, now=lambda: T0)
    later = T0 + timedelta(hours=1)
    with pytest.raises(LockHeldError, match=stalled.holder):
        _take(database, now=lambda: later)
    found = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK, now=lambda: later)
    assert found is not None and found.holder == stalled.holder and not found.expired
    assert stalled.renew()  # still the holder
    stalled.release()
    _take(database, now=lambda: later).release()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_a_lease_row_left_by_a_dead_holder_is_taken_at_once(
    database: DatabaseUnderTest,
) -> None:
    # killed with SIGKILL: the kernel dropped its file lock, its lease row (unexpired) stays
    with database.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO runlock (name, holder, acquired_at, heartbeat_at, expires_at) "
                "VALUES ('run', 'elsewhere:123:abcd', :t, :t, :e)"
            ),
            {"t": T0, "e": T0 + timedelta(days=1)},
        )
    left = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK, now=lambda: T0)
    assert left is not None and left.holder == "elsewhere:123:abcd"
    lease = _take(database, now=lambda: T0)
    found = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK, now=lambda: T0)
    assert found is not None and found.holder == lease.holder
    lease.release()
    assert runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK) is None


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_heartbeat_moves_the_expiry_shown(database: DatabaseUnderTest) -> None:
    clock = [T0]
    lease = _take(database, now=lambda: clock[0])
    clock[0] = T0 + timedelta(seconds=50)
    assert lease.renew()
    found = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK, now=lambda: T0)
    assert found is not None and found.expires_at == T0 + timedelta(seconds=110)
    lease.release()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_lock_dies_with_its_session(database: DatabaseUnderTest) -> None:
    lease = _take(database)
    found = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK)
    assert found is not None and found.holder == lease.holder
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:  # the holder's process dies
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (lease.holder,),
        )
    assert not lease.renew()
    lease.release()  # nothing left to unlock: says so in the log, closes the connection
    _take(database).release()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_locks_are_per_schema(database: DatabaseUnderTest) -> None:
    lease = _take(database)
    other = sa.create_engine(
        sa.make_url(database.url).set(drivername="postgresql+psycopg", query={})
    )
    try:  # the `public` schema of the same database is another factcheck database
        theirs = runlock.try_acquire(engine=other, settings=SETTINGS, name=runlock.RUN_LOCK)
        try:
            held_here = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK)
            held_there = runlock.current_holder(engine=other, name=runlock.RUN_LOCK)
            assert held_here is not None and held_here.holder == lease.holder
            assert held_there is not None and held_there.holder == theirs.holder
            assert theirs.holder != lease.holder
        finally:
            theirs.release()
    finally:
        other.dispose()
        lease.release()
        lease.release()
