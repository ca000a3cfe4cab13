"""Times as people read them, in the viewer's zone with the zone named, in the page's language
(Spanish: "lun 7 dic, 9:00 EST").

    {% load clinic_time %}
    {{ booking.start|local:viewer_tz }}      Mon 7 Dec, 9:00 AM EST
    {{ booking.start|local_day:viewer_tz }}  Mon 7 Dec
    {{ booking.start|local_time:viewer_tz }} 9:00 AM EST
    {{ viewer_tz|zone_name }}                America/New_York

`viewer_tz` is in every page's context (web.context). Without a zone, CLINIC_TIMEZONE's.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.translation import pgettext

register = template.Library()


def _zone(tz: ZoneInfo | str | None) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        # Also unwraps the context's lazy `viewer_tz` (ZoneInfo caches its instances by key).
        return ZoneInfo(tz.key)
    return ZoneInfo(str(tz) if tz else settings.CLINIC_TIMEZONE)


def _abbreviation(moment: dt.datetime, tz: ZoneInfo) -> str:
    # "EST", "CET"; a zone without a letters abbreviation ("+03") is named by its IANA name.
    abbr = moment.tzname() or ""
    # Translators: a time zone without a letters abbreviation, named by its IANA name.
    return abbr if abbr.isalpha() else pgettext("time zone", "%(zone)s time") % {"zone": tz.key}


def _clock(moment: dt.datetime) -> str:
    # Translators: a time of day on the pages, a Django date format: g:i A is "9:00 AM",
    # G:i the 24-hour "9:00".
    return formats.date_format(moment, pgettext("page time format", "g:i A"))


def _localized(value: dt.datetime, tz: ZoneInfo | str | None) -> tuple[dt.datetime, ZoneInfo]:
    zone = _zone(tz)
    return value.astimezone(zone), zone


@register.filter
def local(value: dt.datetime | None, tz: ZoneInfo | str | None = None) -> str:
    """Day, date and time with the zone: "Mon 7 Dec, 9:00 AM EST"."""
    if not isinstance(value, dt.datetime):
        return ""
    return f"{local_day(value, tz)}, {local_time(value, tz)}"


@register.filter
def local_day(value: dt.datetime | None, tz: ZoneInfo | str | None = None) -> str:
    """The day in the viewer's zone: "Mon 7 Dec"."""
    if not isinstance(value, dt.datetime):
        return ""
    moment, _ = _localized(value, tz)
    # Translators: a day on the pages, a Django date format: D is the day's three-letter name,
    # j the day of the month, M the month's three-letter name (b: in lower case).
    return formats.date_format(moment, pgettext("page day format", "D j M"))


@register.filter
def local_time(value: dt.datetime | None, tz: ZoneInfo | str | None = None) -> str:
    """The time with the zone: "9:00 AM EST"."""
    if not isinstance(value, dt.datetime):
        return ""
    moment, zone = _localized(value, tz)
    return f"{_clock(moment)} {_abbreviation(moment, zone)}"


@register.filter
def zone_name(tz: ZoneInfo | str | None) -> str:
    """The zone's IANA name: "America/New_York"."""
    return _zone(tz).key
