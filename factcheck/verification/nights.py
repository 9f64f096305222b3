"""Which night a run serves, and whether one was missed: the scheduling rules, pure.

A night is *served* by a successful schedule or catch-up run that started at or after its fire
time. The rules are computed from the cron trigger and the last success alone, so they are
tested on fixed dates without a scheduler or a clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from factcheck.config import Settings
from factcheck.errors import ConfigError

FIRE_TOLERANCE = timedelta(seconds=1)  # a job called a hair early still serves its own night
MAX_LOOKBACK = timedelta(days=800)  # the longest gap a cron expression can leave (leap days)


def make_trigger(settings: Settings) -> CronTrigger:
    """The cron trigger of the settings, in their time zone; a bad one is a ConfigError."""
    try:
        zone = ZoneInfo(settings.schedule_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"FACTCHECK_SCHEDULE_TIMEZONE: unknown time zone {settings.schedule_timezone!r}"
        ) from None
    try:
        return CronTrigger.from_crontab(settings.schedule_cron, timezone=zone)
    except ValueError as exc:
        raise ConfigError(f"FACTCHECK_SCHEDULE_CRON {settings.schedule_cron!r}: {exc}") from None


def previous_fire_time(trigger: CronTrigger, at: datetime) -> datetime | None:
    """The latest fire time at or before `at`: the night a run starting at `at` serves."""
    window = timedelta(minutes=1)
    while window <= MAX_LOOKBACK:
        fire: datetime | None = trigger.get_next_fire_time(None, at - window)
        if fire is not None and fire <= at:
            while (following := trigger.get_next_fire_time(fire, fire)) is not None:
                if following > at:
                    break
                fire = following
            return fire
        window *= 2
    return None


def catch_up_due(
    *, trigger: CronTrigger, last_success: datetime | None, now: datetime, grace: timedelta
) -> bool:
    """The night after the last served one is more than `grace` late (or none was served).

    Equivalently: the last success is older than one period plus the grace, the period being
    measured between fire times, so that the rule meets APScheduler's own misfire cut-off
    exactly: a night is run either by APScheduler (within the grace) or by the catch-up.
    """
    if last_success is None:
        return True
    served = previous_fire_time(trigger, last_success) or last_success
    following = trigger.get_next_fire_time(served, served)
    return following is not None and now - following > grace


def night_served(*, trigger: CronTrigger, last_success: datetime | None, now: datetime) -> bool:
    """A successful nightly run started at or after the fire time a job firing now serves."""
    fire = previous_fire_time(trigger, now + FIRE_TOLERANCE)
    return fire is not None and last_success is not None and last_success >= fire
