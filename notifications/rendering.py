"""What a message says, rendered from template files the clinic can edit, in the recipient's
language.

No PHI in any message (minimum-necessary rule): no reason for visit, no specialty, no
diagnosis. Only the clinic, the time in the patient's own timezone, the specialist's name and
the join link. Templates live in notifications/templates/notifications/{sms,email}/, their
words in each app's locale/ catalogue (`{% blocktranslate %}`), the day and month names in
Django's.

An SMS is one segment: 160 characters of GSM-7. A single character outside GSM-7 sends the
whole text as UCS-2, 70 characters a segment, so the texts are written without á í ó ú, and the
values a message carries (the Spanish "mié", "sáb"; a doctor's accented name) lose such accents
in an SMS only. tests/notifications/test_rendering.py renders every SMS template for every
weekday and month in each language with the longest values.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import pgettext

from notifications.models import Notification

# GSM 03.38's basic character set (the extension table's characters take two places each and
# are not needed here).
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str = ""


def _local_time(start: dt.datetime, zone: dt.tzinfo) -> str:
    local = start.astimezone(zone)
    # Translators: the date and time of a visit in a message, a Django date format
    # (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date): D is the day's
    # three-letter name, M the month's, b the month's in lower case, j the day, g:i A the
    # 12-hour clock, G:i the 24-hour one. Keep it short: the SMS must fit one segment.
    form = pgettext("message date format", "D M j, g:i A")
    # "Tue Dec 1, 3:00 PM EST": short enough for one SMS segment, unambiguous with its zone.
    return f"{formats.date_format(local, form)} {local:%Z}"


def _gsm7(value: str) -> str:
    """A value as an SMS carries it: an accented letter GSM-7 lacks without its accent
    ("mié" -> "mie", "Núñez" -> "Nuñez": ñ is GSM-7)."""
    return "".join(c if c in GSM7 else unicodedata.normalize("NFKD", c)[0] for c in value)


def message_context(
    *,
    start: dt.datetime,
    patient_timezone: dt.tzinfo,
    doctor_last_name: str,
    join_url: str | None,
    language: str | None = None,
) -> dict[str, object]:
    """Everything a message may say, from plain values: the send task reads them in one
    statement of its own rather than as a graph of model instances (see services/sending.py).
    `language` is the recipient's (`Patient.language`): the day and month names speak it, and
    render_message renders the templates in it."""
    context = clinic_context(language=language)
    with translation.override(str(context["language"])):
        return {
            **context,
            "when": _local_time(start, patient_timezone),
            # Translators: how a message names the specialist, before their last name.
            "doctor": pgettext("doctor's title", "Dr. %(last_name)s") % {"last_name": doctor_last_name},
            "join_url": join_url,
        }


def clinic_context(*, language: str | None = None) -> dict[str, object]:
    """What every message may say, whatever it is about: the clinic and its pages, and the
    language render_message renders in."""
    return {
        "language": language or settings.LANGUAGE_CODE,
        "clinic": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "bookings_url": f"{settings.PUBLIC_BASE_URL}/",  # the home page: short enough for an SMS
        "visits_url": f"{settings.PUBLIC_BASE_URL}/visits/",  # the patient's visits (web/)
        "find_url": f"{settings.PUBLIC_BASE_URL}/find/",
        "week_url": f"{settings.PUBLIC_BASE_URL}/week/",  # the specialist's week (web/)
        "join_window_minutes": settings.JOIN_WINDOW_MINUTES,
    }


def render_message(
    *, channel: str, kind: str, data: dict[str, object], language: str | None = None
) -> Message:
    """The message of `kind` on `channel` in `language` (by default the one message_context
    was given, whose values speak it)."""
    base = f"notifications/{channel}/{kind}"
    with translation.override(language or str(data.get("language") or settings.LANGUAGE_CODE)):
        if channel == Notification.Channel.SMS:
            values = {key: _gsm7(value) if isinstance(value, str) else value for key, value in data.items()}
            return Message(subject="", text=" ".join(render_to_string(f"{base}.txt", values).split()))
        return Message(
            subject=" ".join(render_to_string(f"{base}_subject.txt", data).split()),
            text=render_to_string(f"{base}.txt", data),
            html=render_to_string(f"{base}.html", data),
        )
