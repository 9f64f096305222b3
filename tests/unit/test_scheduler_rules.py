"""Fire times on fixed dates and the catch-up rule: pure functions of a trigger and `now`
(the stored job is tested in tests/integration/test_scheduler_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from factcheck.config import Settings
from factcheck.errors import ConfigError
from factcheck.verification import nightly, nights

DAILY = nightly.make_trigger(Settings())  # 02:00 UTC
GRACE = timedelta(hours=6)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-03-01 01:59:59", "2026-03-01 02:00:00"),
        ("2026-03-01 02:00:00", "2026-03-01 02:00:00"),
        ("2026-03-01 02:00:01", "2026-03-02 02:00:00"),
        ("2026-12-31 23:00:00", "2027-01-01 02:00:00"),
    ],
)
def test_next_fire_time_of_the_default_schedule(now: str, expected: str) -> None:
    assert DAILY.get_next_fire_time(None, at(now)) == at(expected)


def test_timezone_is_honoured_across_daylight_saving() -> None:
    trigger = nightly.make_trigger(
        Settings(schedule_cron="30 1 * * *", schedule_timezone="America/New_York")
    )
    assert trigger.get_next_fire_time(None, at("2026-01-15 00:00")) == at("2026-01-15 06:30")
    assert trigger.get_next_fire_time(None, at("2026-07-15 00:00")) == at("2026-07-15 05:30")


def test_weekly_schedule() -> None:
    trigger = nightly.make_trigger(Settings(schedule_cron="0 3 * * mon"))
    assert trigger.get_next_fire_time(None, at("2026-03-04 12:00")) == at("2026-03-09 03:00")
    assert nights.previous_fire_time(trigger, at("2026-03-08 12:00")) == at("2026-03-02 03:00")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-03-02 01:59:59", "2026-03-01 02:00:00"),
        ("2026-03-02 02:00:00", "2026-03-02 02:00:00"),
        ("2026-03-02 23:00:00", "2026-03-02 02:00:00"),
    ],
)
def test_previous_fire_time(now: str, expected: str) -> None:
    assert nights.previous_fire_time(DAILY, at(now)) == at(expected)


@pytest.mark.parametrize(
    ("last_success", "now", "due"),
    [
        (None, "2026-03-02 12:00", True),  # never served: run one at once
        ("2026-03-02 02:00:04", "2026-03-02 12:00", False),  # tonight served
        ("2026-03-01 02:00:04", "2026-03-02 07:59", False),  # missed by < grace: APScheduler's
        ("2026-03-01 02:00:04", "2026-03-02 08:00", False),  # exactly the grace: still its
        ("2026-03-01 02:00:04", "2026-03-02 08:01", True),  # beyond the grace: catch up
        ("2026-02-27 02:00:04", "2026-03-02 03:00", True),  # several nights missed
        ("2026-03-01 09:30:00", "2026-03-02 07:00", False),  # a catch-up served 03-01's night
        ("2026-03-01 09:30:00", "2026-03-02 08:01", True),
    ],
)
def test_catch_up_rule(last_success: str | None, now: str, due: bool) -> None:
    last = at(last_success) if last_success else None
    assert nightly.catch_up_due(trigger=DAILY, last_success=last, now=at(now), grace=GRACE) is due


@pytest.mark.parametrize(
    ("last_success", "now", "served"),
    [
        (None, "2026-03-02 02:00:00", False),
        ("2026-03-01 02:00:03", "2026-03-02 02:00:00", False),  # yesterday's run
        ("2026-03-02 02:00:03", "2026-03-02 02:00:10", True),  # a second fire for tonight
        ("2026-03-02 07:00:00", "2026-03-02 07:30:00", True),  # a catch-up ran first
        ("2026-03-02 01:00:00", "2026-03-02 02:00:00", False),  # catch-up served last night
    ],
)
def test_a_night_is_served_once(last_success: str | None, now: str, served: bool) -> None:
    last = at(last_success) if last_success else None
    assert nightly.night_served(trigger=DAILY, last_success=last, now=at(now)) is served


@pytest.mark.parametrize(
    "settings",
    [Settings(schedule_cron="0 25 * * *"), Settings(schedule_timezone="Mars/Olympus_Mons")],
)
def test_bad_schedule_settings_are_config_errors(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="FACTCHECK_SCHEDULE_"):
        nightly.make_trigger(settings)
