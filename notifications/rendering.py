"""What a message says, rendered from template files the clinic can edit.

No PHI in any message (minimum-necessary rule): no reason for visit, no specialty, no
diagnosis. Only the clinic, the time in the patient's own timezone, the specialist's name and
the join link. Templates live in notifications/templates/notifications/{sms,email}/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from notifications.models import Notification


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str = ""


def _local_time(start: dt.datetime, zone: dt.tzinfo) -> str:
    local = start.astimezone(zone)
    # "Tue Dec 1, 3:00 PM EST": short enough for one SMS segment, unambiguous with its zone.
    return f"{local:%a %b} {local.day}, {local.hour % 12 or 12}:{local:%M %p %Z}"


def message_context(
    *, start: dt.datetime, patient_timezone: dt.tzinfo, doctor_last_name: str, join_url: str | None
) -> dict[str, object]:
    """Everything a message may say, from plain values: the send task reads them in one
    statement of its own rather than as a graph of model instances (see services/sending.py)."""
    return {
        **clinic_context(),
        "when": _local_time(start, patient_timezone),
        "doctor": f"Dr. {doctor_last_name}",
        "join_url": join_url,
    }


def clinic_context() -> dict[str, object]:
    """What every message may say, whatever it is about: the clinic and its pages."""
    return {
        "clinic": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "bookings_url": f"{settings.PUBLIC_BASE_URL}/",  # the home page: short enough for an SMS
        "visits_url": f"{settings.PUBLIC_BASE_URL}/visits/",  # the patient's visits (web/)
        "find_url": f"{settings.PUBLIC_BASE_URL}/find/",
        "week_url": f"{settings.PUBLIC_BASE_URL}/week/",  # the specialist's week (web/)
        "join_window_minutes": settings.JOIN_WINDOW_MINUTES,
    }


def render_message(*, channel: str, kind: str, data: dict[str, object]) -> Message:
    base = f"notifications/{channel}/{kind}"
    if channel == Notification.Channel.SMS:
        return Message(subject="", text=" ".join(render_to_string(f"{base}.txt", data).split()))
    return Message(
        subject=" ".join(render_to_string(f"{base}_subject.txt", data).split()),
        text=render_to_string(f"{base}.txt", data),
        html=render_to_string(f"{base}.html", data),
    )
