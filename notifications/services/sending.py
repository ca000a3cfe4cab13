"""Sending one notification: idempotent, and exactly once for SMS even across a `kill -9`.

1. Lock the row; act only if it is `queued` (a duplicated task finds it otherwise and stops).
2. Re-check the booking (no longer confirmed -> `cancelled`) and the opt-in (-> `skipped`).
3. Render, mark `sending` (remembering when the attempt began) and commit.
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
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from clinic.services import patient_sms_opt_in_set
from notifications.backends import sms_backend
from notifications.backends.sms import SendError
from notifications.backends.twilio import UNSUBSCRIBED
from notifications.models import Notification
from notifications.rendering import Message, render
from notifications.services.writing import ABOUT_THE_VISIT, notifications_skip_channel
from scheduling import calendar
from scheduling.models import Booking

Status = Notification.Status
Channel = Notification.Channel
log = logging.getLogger(__name__)


def _opted_in(notification: Notification) -> bool:
    patient = notification.booking.patient
    if notification.channel == Channel.SMS:
        return patient.sms_opt_in and bool(patient.phone)
    return patient.email_opt_in


def _begin(notification_id: int) -> tuple[Notification, Message, dt.datetime | None] | None:
    """Steps 1-3. None when there is nothing to send."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("booking__patient__user", "booking__slot__specialist__user", "booking__video")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != Status.QUEUED:
            return None
        now = timezone.now()
        if notification.kind in ABOUT_THE_VISIT and notification.booking.status != Booking.Status.CONFIRMED:
            notification.status = Status.CANCELLED
        elif not _opted_in(notification):
            notification.status = Status.SKIPPED
        if notification.status != Status.QUEUED:
            notification.save(update_fields=["status", "updated_at"])
            return None
        message = render(notification)
        earlier_attempt = notification.sending_at
        notification.status = Status.SENDING
        notification.sending_at = earlier_attempt or now
        notification.attempts += 1
        notification.save(update_fields=["status", "sending_at", "attempts", "updated_at"])
    return notification, message, earlier_attempt


def _status_callback() -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/webhooks/twilio/status/"


def _send_sms(notification: Notification, message: Message, earlier_attempt: dt.datetime | None) -> str:
    backend = sms_backend()
    if earlier_attempt is not None:
        found = backend.find_sent(to=notification.recipient, body=message.text, since=earlier_attempt)
        if found:
            log.info("notification %s: earlier attempt went out as %s", notification.pk, found)
            return found
    return backend.send(to=notification.recipient, body=message.text, status_callback=_status_callback())


def _send_email(notification: Notification, message: Message) -> str:
    message_id = make_msgid(domain="clinic.invalid")
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[notification.recipient],
        headers={"Message-ID": message_id},
    )
    email.attach_alternative(message.html, "text/html")
    if notification.kind in (Notification.Kind.BOOKING_CONFIRMED, Notification.Kind.BOOKING_RESCHEDULED):
        email.attach("visit.ics", calendar.booking_ics(notification.booking), "text/calendar")
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
    now = timezone.now()
    landed = Notification.objects.filter(pk=notification_id, status=Status.SENDING).update(
        status=Status.SENT, provider_id=provider_id, sent_at=now, last_error="", error_code="", updated_at=now
    )
    if landed:
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
        notification.last_error = str(error)[:500]
        notification.error_code = error.code[:20]
        if error.permanent or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            notification.status = Status.FAILED
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
