"""Quiet hours: when a message that can wait may go out (DESIGN.md, the reminder pipeline, 6).

`QUIET_HOURS` (settings: a start and an end local time, or None for `off`) is a window of wall
times in the recipient's zone, read afresh each night: 21:00-08:00 crosses midnight, 13:00-14:00
does not. Being wall times, a window's length follows the clock: on the spring-forward night
21:00-08:00 in New York lasts 10 hours, on the fall-back night 12.

A message due inside a window moves to the window's end; when that would be at or after
`latest` (the visit it reminds of), it moves to the window's start instead, the last moment
before the quiet hours; when that has passed too, it goes at once. The window's two edges are
not quiet themselves: a message may go at 21:00:00 or at 08:00:00 sharp.

A DST change can make an edge ambiguous (01:30 happens twice on the fall-back night) or
nonexistent (02:30 is skipped on the spring-forward night). Each edge then takes the reading that
widens the window: the start the earlier of the two instants Python's `fold` gives, the end the
later. So a window never lets a message through at a moment that either reading calls quiet:
22:00-01:30 on the fall-back night ends at the second 01:30, and 02:30-06:00 on the
spring-forward night starts at 01:30 EST (02:30 read with the summer offset).

Only times: which messages can wait (not confirmations of what the patient just did, nor
cancellations) is the caller's decision, and so is the recipient's zone (a caregiver uses the
patient's). Inputs and results are aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings


def quiet_send_at(
    *, due: dt.datetime, zone: ZoneInfo, latest: dt.datetime | None, now: dt.datetime
) -> dt.datetime:
    """When a message that can wait, due at `due`, may go to a recipient in `zone`.

    `due` itself when it falls outside the quiet hours (or they are off); otherwise the end of
    its window, or the window's start if the end is at or after `latest` (the visit; None: no
    such limit). When that start has passed, at once: `due` if it already has, else `now`.
    A message cannot go before `now`, so an overdue message is judged by `now`'s window."""
    if settings.QUIET_HOURS is None:
        return due
    window = _window_around(max(due, now), zone, settings.QUIET_HOURS)
    if window is None:
        return due
    start, end = window
    if latest is None or end < latest:
        return end
    if start >= now:
        return start
    return min(due, now)


def quiet_now(*, now: dt.datetime, zone: ZoneInfo, latest: dt.datetime | None) -> dt.datetime | None:
    """At send time, for a message that can wait (a retry or a backoff may have moved it into
    the night): None if it may go now to a recipient in `zone`, else when it may (the end of the
    quiet hours). With `latest` (the visit), a message inside a window that ends too late goes
    now: quiet_send_at put it at the window's start, and the dispatcher picked it up a few
    seconds after."""
    at = quiet_send_at(due=now, zone=zone, latest=latest, now=now)
    return at if at > now else None


def _window_around(
    moment: dt.datetime, zone: ZoneInfo, hours: tuple[dt.time, dt.time]
) -> tuple[dt.datetime, dt.datetime] | None:
    """The (start, end) of the quiet window strictly around `moment`, if it is inside one."""
    for start, end in _windows_near(moment.astimezone(zone).date(), zone, hours):
        if start < moment < end:
            return start, end
    return None


# Every booking asks this for each of its reminders, and the answer depends only on the local
# date, the zone and the setting: kept, it costs a booking a lookup instead of a dozen zone
# conversions (about 6% of a booking's CPU in `make bench`).
@lru_cache(maxsize=4096)
def _windows_near(
    today: dt.date, zone: ZoneInfo, hours: tuple[dt.time, dt.time]
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The windows that began yesterday, today and tomorrow (local dates): one reaching past
    midnight began yesterday, and a widened edge can reach into the day before its own."""
    start_time, end_time = hours
    windows = []
    for days in (-1, 0, 1):
        first = today + dt.timedelta(days=days)
        last = first + dt.timedelta(days=1) if start_time > end_time else first
        start = _instant(dt.datetime.combine(first, start_time), zone, earliest=True)
        end = _instant(dt.datetime.combine(last, end_time), zone, earliest=False)
        windows.append((start, end))
    return tuple(windows)


def _instant(wall: dt.datetime, zone: ZoneInfo, *, earliest: bool) -> dt.datetime:
    """The instant (UTC) of the local wall time `wall` in `zone`: of an ambiguous or nonexistent
    one, the earlier or the later of its two readings (see the module's docstring)."""
    readings = [wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)]
    return min(readings) if earliest else max(readings)
