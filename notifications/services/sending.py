"""Sending one notification: idempotent, and exactly once for SMS even across a `kill -9`.

1. Read the row with what the checks and the message need; act only if it is `queued` (a
   duplicated task finds it otherwise and stops).
2. Re-check the booking (no longer confirmed -> `cancelled`) and the opt-in (-> `skipped`).
3. Render, and mark `sending` (remembering when the attempt began) with an UPDATE that lands only
   on the row as it was read, committed at once: of two tasks racing for one row, one begins.
4. If an earlier attempt began and never recorded its end (its worker died), ask the provider
   whether that message went out; only if not, send.
5. Record the outcome: `sent` with the provider id; a transient failure goes back to `pending`
   with `send_at` pushed by an exponential backoff with jitter (the wait is a row, never a
   Celery countdown), up to NOTIFICATION_MAX_ATTEMPTS, then `failed`; a permanent failure is
   `failed` at once, and Twilio's 21610 (the patient replied STOP) also opts the patient out.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import zoneinfo
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clinic.services import patient_sms_opt_in_set
from notifications.backends import sms_backend
from notifications.backends.sms import SendError
from notifications.backends.twilio import UNSUBSCRIBED
from notifications.models import Notification
from notifications.privacy import mask_contacts
from notifications.rendering import Message, message_context, render_message
from notifications.services.writing import ABOUT_THE_VISIT, notifications_skip_channel
from scheduling import ics, video
from scheduling.models import Booking

Status = Notification.Status
Channel = Notification.Channel
log = logging.getLogger(__name__)


# Everything the send re-checks and the message says, in one statement: the row, its booking's
# status, the patient's consents and timezone, the visit's start, the specialist's name and the
# room's nonce. Written as SQL because this is the pipeline's hottest path: the ORM spent longer
# compiling this six-table select_related than the database spent running it. Portable between
# PostgreSQL and SQLite. No lock: the UPDATE that follows lands only on the row as it was read
# (same status, attempts, `sending_at` and `updated_at`, which every writer of a row sets).
BEGIN_SQL = """
SELECT n.status, n.kind, n.channel, n.recipient, n.attempts, n.sending_at, n.booking_id,
       b.status, p.sms_opt_in, p.phone, p.email_opt_in, p.timezone, s.start, u.last_name, v.nonce,
       n.updated_at
FROM notifications_notification n
JOIN scheduling_booking b ON b.id = n.booking_id
JOIN clinic_patient p ON p.user_id = b.patient_id
JOIN scheduling_slot s ON s.id = b.slot_id
JOIN clinic_specialist sp ON sp.id = s.specialist_id
JOIN clinic_user u ON u.id = sp.user_id
LEFT JOIN scheduling_videovisit v ON v.booking_id = b.id
WHERE n.id = %s
"""


class _Read(NamedTuple):
    """One row of BEGIN_SQL."""

    status: str
    kind: str
    channel: str
    recipient: str
    attempts: int
    sending_at: dt.datetime | None
    booking_id: int
    booking_status: str
    sms_opt_in: bool
    phone: str
    email_opt_in: bool
    patient_timezone: str
    start: dt.datetime
    doctor_last_name: str
    video_nonce: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class Attempt:
    """A row this task moved to `sending`: what the send and its record need."""

    pk: int
    booking_id: int
    kind: str
    channel: str
    recipient: str


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands a raw cursor naive datetimes (stored in UTC), PostgreSQL aware ones.
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt.UTC)


def _opted_in(read: _Read) -> bool:
    if read.channel == Channel.SMS:
        return bool(read.sms_opt_in and read.phone)
    return bool(read.email_opt_in)


def _message(read: _Read) -> Message:
    nonce = read.video_nonce
    return render_message(
        channel=read.channel,
        kind=read.kind,
        data=message_context(
            start=read.start,
            patient_timezone=zoneinfo.ZoneInfo(read.patient_timezone),
            doctor_last_name=read.doctor_last_name,
            join_url=video.join_url_of(nonce, video.Participant.PATIENT) if nonce else None,
        ),
    )


def _read(notification_id: int) -> _Read | None:
    with connection.cursor() as cursor:
        cursor.execute(BEGIN_SQL, [notification_id])
        row = cursor.fetchone()
    if row is None:
        return None
    read = _Read._make(row)
    return read._replace(
        start=_aware(read.start),
        sending_at=_aware(read.sending_at) if read.sending_at is not None else None,
        updated_at=_aware(read.updated_at),
    )


def _begin(notification_id: int) -> tuple[Attempt, Message, dt.datetime | None] | None:
    """Steps 1-3. None when there is nothing to send.

    One read, then one conditional UPDATE, each committed on its own: the UPDATE moves the row
    only if it is still `queued` with the attempts, `sending_at` and `updated_at` that were read.
    A second task for the same row, a cancel, an opt-out, or a cancel then a retry then a new
    claim, each committed in between, changes `updated_at` at least, and the UPDATE then lands
    on nothing: no two tasks ever both begin an attempt, and a row cancelled or skipped
    meanwhile is not sent. (A cancel that holds the row's lock when the UPDATE arrives makes
    PostgreSQL re-check the WHERE once it commits, with the same outcome.)
    """
    read = _read(notification_id)
    if read is None or read.status != Status.QUEUED:
        return None
    earlier_attempt = read.sending_at
    now = timezone.now()
    if read.kind in ABOUT_THE_VISIT and read.booking_status != Booking.Status.CONFIRMED:
        _move_as_read(notification_id, read, earlier_attempt, Status.CANCELLED, now)
        return None
    if not _opted_in(read):
        _move_as_read(notification_id, read, earlier_attempt, Status.SKIPPED, now)
        return None
    message = _message(read)
    if not _move_as_read(notification_id, read, earlier_attempt, Status.SENDING, now):
        return None  # taken meanwhile: by a second task for the row, a cancel, an opt-out
    attempt = Attempt(notification_id, read.booking_id, read.kind, read.channel, read.recipient)
    return attempt, message, earlier_attempt


# The two writes every message makes are SQL too: the ORM took longer to compile each of these
# one-row UPDATEs than the database took to run it. `{same_attempt}` is `IS NULL` or `= %s`
# (SQL's `=` never matches a NULL).
MOVE_AS_READ_SQL = """
UPDATE notifications_notification SET status = %s, attempts = %s, sending_at = %s, updated_at = %s
WHERE id = %s AND status = %s AND attempts = %s AND updated_at = %s AND sending_at {same_attempt}
"""
RECORD_SENT_SQL = """
UPDATE notifications_notification
SET status = %s, provider_id = %s, sent_at = %s, last_error = '', error_code = '', updated_at = %s
WHERE id = %s AND status = %s
"""


def _update(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _move_as_read(
    notification_id: int, read: _Read, earlier_attempt: dt.datetime | None, status: str, now: dt.datetime
) -> bool:
    """Move a queued row to `status` if it is still as read. To `sending`, the attempt is
    counted and begins now, unless an earlier one never recorded its end."""
    adapt = connection.ops.adapt_datetimefield_value
    attempts, sending_at = read.attempts, earlier_attempt
    if status == Status.SENDING:
        attempts, sending_at = attempts + 1, earlier_attempt or now
    params: list[Any] = [status, attempts, adapt(sending_at), adapt(now), notification_id, Status.QUEUED]
    # `updated_at` too: every writer of a row sets it, so a row cancelled, retried and claimed
    # again since the read (queued again, attempts back at 0) does not pass for the row read.
    params += [read.attempts, adapt(read.updated_at)]
    if earlier_attempt is None:
        sql = MOVE_AS_READ_SQL.format(same_attempt="IS NULL")
    else:
        sql = MOVE_AS_READ_SQL.format(same_attempt="= %s")
        params.append(adapt(earlier_attempt))
    return _update(sql, params) == 1


def _status_callback() -> str:
    return settings.PUBLIC_BASE_URL + reverse("twilio-status")


def _send_sms(notification: Attempt, message: Message, earlier_attempt: dt.datetime | None) -> str:
    backend = sms_backend()
    if earlier_attempt is not None:
        found = backend.find_sent(to=notification.recipient, body=message.text, since=earlier_attempt)
        if found:
            log.info("notification %s: earlier attempt went out as %s", notification.pk, found)
            return found
    return backend.send(to=notification.recipient, body=message.text, status_callback=_status_callback())


def _send_email(notification: Attempt, message: Message) -> str:
    message_id = make_msgid(domain="clinic.invalid")
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[notification.recipient],
        headers={"Message-ID": message_id},
    )
    email.attach_alternative(message.html, "text/html")
    if notification.kind in (Notification.Kind.BOOKING_CONFIRMED, Notification.Kind.BOOKING_RESCHEDULED):
        booking = Booking.objects.select_related("slot__specialist__user").get(pk=notification.booking_id)
        email.attach("visit.ics", ics.booking_ics(booking), "text/calendar")
    try:
        email.send()
    except OSError as exc:  # SMTP and socket errors: worth another try
        raise SendError(f"email not accepted: {type(exc).__name__}", code="smtp") from exc
    return message_id


def backoff(attempts: int) -> dt.timedelta:
    """Exponential with full jitter: 0..base*2^(n-1), at least a second, at most an hour."""
    ceiling = min(3600, settings.NOTIFICATION_BACKOFF_SECONDS * 2 ** (attempts - 1))
    return dt.timedelta(seconds=max(1.0, random.uniform(0, ceiling)))


def _record_sent(notification_id: int, provider_id: str) -> str:
    """One conditional UPDATE: it lands only on a row still `sending` (the hot path of a send)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if _update(RECORD_SENT_SQL, [Status.SENT, provider_id, now, now, notification_id, Status.SENDING]):
        return Status.SENT
    # Settled meanwhile (a callback, an admin): leave it.
    return Notification.objects.values_list("status", flat=True).get(pk=notification_id)


def _record_failed(notification_id: int, error: SendError) -> str:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("booking__patient")
            .get(pk=notification_id)
        )
        if notification.status != Status.SENDING:
            return notification.status  # settled meanwhile (a callback, an admin): leave it
        # Kept for admins, without the number or address the provider's text names.
        notification.last_error = mask_contacts(str(error))[:500]
        notification.error_code = error.code[:20]
        if error.permanent or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            notification.status = Status.FAILED
            notification.failed_at = timezone.now()
        else:
            notification.status = Status.PENDING
            notification.send_at = timezone.now() + backoff(notification.attempts)
        if not error.maybe_sent:
            # Refused by the provider: it did not go out, the next attempt need not ask.
            notification.sending_at = None
        notification.save()
        if error.code == str(UNSUBSCRIBED):
            patient = notification.booking.patient
            patient_sms_opt_in_set(patient=patient, opt_in=False)
            notifications_skip_channel(patient=patient, channel=Channel.SMS)
        return notification.status


def notification_send(*, notification_id: int) -> str:
    """Send one queued notification; returns the status it ends in (or why nothing was done)."""
    begun = _begin(notification_id)
    if begun is None:
        return "nothing to do"
    notification, message, earlier_attempt = begun
    try:
        if notification.channel == Channel.SMS:
            provider_id = _send_sms(notification, message, earlier_attempt)
        else:
            provider_id = _send_email(notification, message)
    except SendError as exc:
        # The code, never the text: Twilio's text names the number ("The 'To' number +1... is
        # not a valid phone number"). The row keeps the text for the admins.
        log.warning(
            "notification %s not sent: code %s%s",
            notification_id,
            exc.code,
            " (permanent)" if exc.permanent else "",
        )
        return _record_failed(notification_id, exc)
    return _record_sent(notification_id, provider_id)
