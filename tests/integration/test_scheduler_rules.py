"""The persistent nightly job in the database: added only when absent, updated when the settings
change, its next run time read back (the pure fire-time rules are in tests/unit)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from factcheck.config import Settings
from factcheck.domain import utcnow
from factcheck.verification import nightly
from tests.support import DatabaseUnderTest


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- the job in the database --------------------------------------------------------------------


def _started(database: DatabaseUnderTest, settings: Settings) -> nightly.BackgroundScheduler:
    aps = nightly.make_scheduler(engine=database.engine, settings=settings)
    aps.start(paused=True)  # nothing fires: the test looks at the stored job only
    return aps


def test_job_added_once_and_a_missed_run_kept_across_restarts(database: DatabaseUnderTest) -> None:
    settings = Settings(database_url=database.url)
    aps = _started(database, settings)
    job = nightly.ensure_job(aps, settings=settings)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
    missed = at("2026-03-02 02:00")  # the scheduler goes down before this fire time
    job.modify(next_run_time=missed)
    nightly.stop_scheduler(aps)

    aps = _started(database, settings)  # the next start, the morning after
    try:
        job = nightly.ensure_job(aps, settings=settings)
        assert job.next_run_time == missed  # kept: APScheduler runs it within the grace
        assert [j.id for j in aps.get_jobs()] == [nightly.JOB_ID]
        # what issue 696 describes: replacing at every start moves the run to the future
        replaced = aps.add_job(
            nightly.nightly_job,
            trigger=nightly.make_trigger(settings),
            id=nightly.JOB_ID,
            replace_existing=True,
        )
        assert replaced.next_run_time > datetime.now(UTC)
    finally:
        nightly.stop_scheduler(aps)
    with database.engine.connect() as conn:
        count = conn.execute(sa.text(f"SELECT count(*) FROM {nightly.JOB_TABLE}")).scalar()
    assert count == 1


def test_changed_settings_update_the_stored_job(database: DatabaseUnderTest) -> None:
    settings = Settings(database_url=database.url)
    aps = _started(database, settings)
    try:
        job = nightly.ensure_job(aps, settings=settings)
        kept = at("2026-03-02 02:00")
        job.modify(next_run_time=kept)
        job = nightly.ensure_job(aps, settings=settings.with_overrides(misfire_grace_s=60))
        assert job.misfire_grace_time == 60 and job.next_run_time == kept
        later = settings.with_overrides(schedule_cron="30 4 * * *")
        job = nightly.ensure_job(aps, settings=later)
        assert job.next_run_time is not None and job.next_run_time.time().isoformat() == "04:30:00"
    finally:
        nightly.stop_scheduler(aps)


def test_status_reads_the_stored_next_run_time(database: DatabaseUnderTest) -> None:
    settings = Settings(database_url=database.url)
    before = nightly.schedule_status(
        engine=database.engine, settings=settings, now=at("2026-03-01 12:00")
    )
    assert not before.job_stored and before.next_run_time == at("2026-03-02 02:00")
    assert before.catch_up_due and before.last_run is None and before.scheduler_holder is None
    aps = _started(database, settings)
    try:
        nightly.ensure_job(aps, settings=settings).modify(next_run_time=at("2026-03-05 02:00"))
    finally:
        nightly.stop_scheduler(aps)
    after = nightly.schedule_status(engine=database.engine, settings=settings, now=utcnow())
    assert after.job_stored and after.next_run_time == at("2026-03-05 02:00")
