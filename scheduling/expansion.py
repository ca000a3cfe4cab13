"""Weekly rules expanded into concrete intervals: pure arithmetic on wall-clock time, no database.

A rule is written in the specialist's own wall-clock time and expanded date by date in their
zone, so 09:00 in New York stays 09:00 across the DST switches; the instants are UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings

if TYPE_CHECKING:
    from scheduling.models import AvailabilityRule

UTC = dt.UTC


def local_to_utc(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall-clock time in `tz`, or None if that time does not exist.

    On a spring-forward day the skipped hour (02:30 in New York) has no instant: no slot starts
    then. On a fall-back day the repeated hour (01:30) has two: the first one (fold=0, still
    daylight time) is taken, so a slot happens once, at the earlier of the two.
    """
    naive = dt.datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return as_utc


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime


def rule_intervals(
    rule: AvailabilityRule,
    tz: ZoneInfo,
    duration: dt.timedelta,
    since: dt.datetime,
    until: dt.datetime,
) -> Iterator[Interval]:
    """The slots a rule yields that start in [since, until), back to back in wall-clock time.

    Each slot lasts `duration` of real time; it must end by the rule's end in wall-clock time.
    """
    first_day = max(rule.valid_from, since.astimezone(tz).date())
    last_day = until.astimezone(tz).date()
    if rule.valid_until is not None:
        last_day = min(last_day, rule.valid_until)
    if first_day > last_day:  # also keeps the arithmetic below away from date.max
        return
    day = first_day + dt.timedelta(days=(rule.weekday - first_day.weekday()) % 7)
    end_minutes = rule.end_time.hour * 60 + rule.end_time.minute
    step = int(duration.total_seconds() // 60)
    while day <= last_day:
        minutes = rule.start_time.hour * 60 + rule.start_time.minute
        while minutes + step <= end_minutes:
            start = local_to_utc(day, dt.time(minutes // 60, minutes % 60), tz)
            if start is not None and since <= start < until:
                yield Interval(start, start + duration)
            minutes += step
        day += dt.timedelta(days=7)


def horizon_end(now: dt.datetime) -> dt.datetime:
    """The end of the rolling horizon: slots are materialized, and booked, up to here."""
    return now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
