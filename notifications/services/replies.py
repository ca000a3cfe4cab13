"""Texts a patient sends back, and the answers they get: a reply that acts.

Reminders invite `1` (or C) to confirm attendance and `2` (or R) to change the visit. The reply
is matched, by the number it comes from, to the next upcoming visit of a patient with that
phone. Twilio's own words keep Twilio's meaning and are handled before this module (STOP and
START in `consent`; HELP and INFO are answered by Twilio's Advanced Opt-Out text, so the app
says nothing). Never "cancel a visit" by keyword: CANCEL is one of Twilio's opt-out words.

Each answer is a notification like any other, written in the webhook's transaction (which acts
once per MessageSid) and sent by the pipeline: `inbound:<MessageSid>` is its subject, so one
text gets one answer. The short help for anything else is about the visit instead
(`booking:<id>`), so a patient chatting with the number gets it once per visit, not per text.
Numbers no patient has get no answer at all: the app does not talk to strangers.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.utils import timezone

from clinic.models import Patient
from notifications import sql
from notifications.models import PATIENT, Notification, booking_subject
from scheduling.models import Booking
from scheduling.selectors import booking_next_by_phone
from scheduling.services.bookings import booking_confirm_attendance, booking_within_cancellation_window

CONFIRM_WORDS = frozenset({"1", "C"})
MANAGE_WORDS = frozenset({"2", "R"})


class Answer(StrEnum):
    """What an answer says (a reply's `variant`, and its template `reply_<variant>`)."""

    ATTENDANCE_CONFIRMED = "attendance_confirmed"
    MANAGE_LINK = "manage_link"  # a link to the visit's page, to move or cancel it
    MANAGE_CALL = "manage_call"  # inside the cancellation window: the clinic's phone instead
    HELP = "help"
    NO_VISIT = "no_visit"


def notification_reply(*, message_sid: str, sender: str, word: str) -> Answer | None:
    """Act on a text that is none of Twilio's words, inside the webhook's transaction; the
    answer written, or None when there is none to give."""
    now = timezone.now()
    booking = booking_next_by_phone(phone=sender, now=now)
    if word in CONFIRM_WORDS | MANAGE_WORDS and booking is None:
        if not _patient_number(sender):
            return None
        return _answer(f"inbound:{message_sid}", None, sender, Answer.NO_VISIT, now)
    if booking is None:
        return None
    if word in CONFIRM_WORDS:
        booking_confirm_attendance(booking=booking, by=None)
        return _answer(f"inbound:{message_sid}", booking, sender, Answer.ATTENDANCE_CONFIRMED, now)
    if word in MANAGE_WORDS:
        within = booking_within_cancellation_window(booking=booking, now=now)
        answer = Answer.MANAGE_CALL if within else Answer.MANAGE_LINK
        return _answer(f"inbound:{message_sid}", booking, sender, answer, now)
    return _answer(booking_subject(booking.pk), booking, sender, Answer.HELP, now)


def _patient_number(phone: str) -> bool:
    return Patient.objects.filter(phone=phone).exists()


def _answer(subject: str, booking: Booking | None, sender: str, answer: Answer, now: dt.datetime) -> Answer:
    # ON CONFLICT DO NOTHING: the help of a visit already given is not given again.
    sql.insert_pending(
        subject=subject,
        audience=PATIENT,
        booking_id=booking.pk if booking is not None else None,
        messages=[(Notification.Kind.REPLY, 0, now)],
        recipients={Notification.Channel.SMS: sender},
        now=now,
        variant=answer,
    )
    return answer
