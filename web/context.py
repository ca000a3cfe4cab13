"""What every page's template knows: the clinic's name, the viewer's role and time zone, and the
languages of the switch."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.roles import Role

# The browser's zone, as web/static/web/zone.js stores it for the next requests.
ZONE_COOKIE = "tz"


@cache
def _known_zones() -> frozenset[str]:
    # Read once: available_timezones() walks the zone database on every call.
    return frozenset(available_timezones())


def browser_timezone(request: HttpRequest) -> ZoneInfo | None:
    """The zone the browser said it is in (the `tz` cookie), if it is one zoneinfo knows: a
    cookie is the visitor's to write, so anything else is ignored."""
    name = request.COOKIES.get(ZONE_COOKIE, "")
    return ZoneInfo(name) if name in _known_zones() else None


def viewer_timezone(request: HttpRequest) -> ZoneInfo:
    """The zone every page shows times in: the signed-in patient's or specialist's profile zone;
    else the browser's (API.md: anonymous pages use it where known); else CLINIC_TIMEZONE."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        person = getattr(user, "patient", None) or getattr(user, "specialist", None)
        if person is not None and person.timezone:
            return ZoneInfo(str(person.timezone))
    return browser_timezone(request) or ZoneInfo(settings.CLINIC_TIMEZONE)


def viewer_role(request: HttpRequest) -> str | None:
    """`patient`, `specialist` or `staff` (the admin role, or a Django staff user); None signed out."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if user.role == Role.ADMIN or user.is_staff:
        return "staff"
    return str(user.role)


def clinic(request: HttpRequest) -> dict[str, Any]:
    return {
        "clinic_name": settings.CLINIC_NAME,
        # Lazy: a page that shows no time (the admin's) makes no query for the profile.
        "viewer_tz": SimpleLazyObject(lambda: viewer_timezone(request)),
        "viewer_role": viewer_role(request),
        # Each named in its own language, whatever the page's (Django's get_available_languages
        # would translate "English" into the page's language).
        "languages": settings.LANGUAGES,
    }
