"""What a message says, rendered from template files the clinic can edit.

No PHI in any message (minimum-necessary rule): no reason for visit, no specialty, no
diagnosis. Only the clinic, the time in the patient's own timezone, the specialist's name and
the join link. Templates live in notifications/templates/notifications/{sms,email}/.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from notifications.models import Notification
from scheduling import video
from scheduling.models import Booking


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str = ""


def _local_time(booking: Booking) -> str:
    start = booking.slot.start.astimezone(booking.patient.timezone)
    # "Tue Dec 1, 3:00 PM EST": short enough for one SMS segment, unambiguous with its zone.
    return f"{start:%a %b} {start.day}, {start.hour % 12 or 12}:{start:%M %p %Z}"


def context(notification: Notification) -> dict[str, object]:
    booking = notification.booking
    specialist = booking.slot.specialist
    return {
        "clinic": settings.CLINIC_NAME,
        "when": _local_time(booking),
        "doctor": f"Dr. {specialist.user.last_name}",
        "join_url": video.join_url(booking, video.Participant.PATIENT),
        "bookings_url": f"{settings.PUBLIC_BASE_URL}/",
        "join_window_minutes": settings.JOIN_WINDOW_MINUTES,
    }


def render(notification: Notification) -> Message:
    data = context(notification)
    base = f"notifications/{notification.channel}/{notification.kind}"
    if notification.channel == Notification.Channel.SMS:
        return Message(subject="", text=" ".join(render_to_string(f"{base}.txt", data).split()))
    return Message(
        subject=" ".join(render_to_string(f"{base}_subject.txt", data).split()),
        text=render_to_string(f"{base}.txt", data),
        html=render_to_string(f"{base}.html", data),
    )
