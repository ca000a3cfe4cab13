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
from dataclasses import dataclass
from email.utils import make_msgid

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications import audiences, sql
from notifications.backends import sms_backend
from notifications.backends.sms import SendError
from notifications.backends.twilio import UNSUBSCRIBED
from notifications.models import PATIENT, Notification
from notifications.privacy import mask_contacts
from notifications.quiet import quiet_now
from notifications.rendering import Message
from notifications.services.consent import phone_opt_out
from notifications.services.offers import offer_of
from notifications.sql import ToSend
from scheduling import ics
from scheduling.models import Booking
from scheduling.services.offers import offer_hold_from

Status = Notification.Status
Channel = Notification.Channel
# Patients' emails about a visit now on the calendar carry it as an .ics.
CALENDAR_KINDS = (Notification.Kind.BOOKING_CONFIRMED, Notification.Kind.BOOKING_RESCHEDULED)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """A row this task moved to `sending`: what the send and its record need."""

    pk: int
    subject: str
    booking_id: int | None
    audience: str
    kind: str
    channel: str
    recipient: str


def notification_message(read: ToSend) -> Message:
    """The message a notification says, rendered from its read (`notifications.sql.to_send`)."""
    return audiences.message(audiences.Outgoing(read))


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
    read = sql.to_send(notification_id)
    if read is None or read.status != Status.QUEUED:
        return None
    earlier_attempt = read.sending_at
    now = timezone.now()
    outgoing = audiences.Outgoing(read)  # this send's: the checks and the text read a row once
    if not audiences.current(outgoing):  # the visit is no longer confirmed, the offer no longer open
        _move(read, Status.CANCELLED, now)
        return None
    if not audiences.accepts(outgoing):
        _move(read, Status.SKIPPED, now)
        return None
    if _quiet_hold(outgoing, now):
        return None
    message = audiences.message(outgoing)
    if not _move(read, Status.SENDING, now):
        return None  # taken meanwhile: by a second task for the row, a cancel, an opt-out
    attempt = Attempt(
        notification_id, read.subject, read.booking_id, read.audience, read.kind, read.channel, read.recipient
    )
    return attempt, message, earlier_attempt


def _quiet_hold(outgoing: audiences.Outgoing, now: dt.datetime) -> bool:
    """A message that can wait, found due inside its recipient's quiet hours (a retry's backoff,
    a queue that ran late, a zone changed since it was written), goes back to `pending` until
    they end (or until just before the visit it reminds of). Whether it was held."""
    zone = audiences.zone(outgoing) if audiences.can_wait(outgoing) else None
    until = quiet_now(now=now, zone=zone, latest=audiences.latest(outgoing)) if zone is not None else None
    if until is None:
        return False
    read = outgoing.read
    Notification.objects.filter(pk=read.id, status=Status.QUEUED, updated_at=read.updated_at).update(
        status=Status.PENDING, send_at=until, updated_at=now
    )
    return True


def _move(read: ToSend, status: str, now: dt.datetime) -> bool:
    """Move a queued row to `status` if it is still as read. To `sending`, the attempt is
    counted and begins now, unless an earlier one never recorded its end."""
    if status == Status.SENDING:
        return sql.move_as_read(
            read, status=status, attempts=read.attempts + 1, sending_at=read.sending_at or now, now=now
        )
    return sql.move_as_read(read, status=status, attempts=read.attempts, sending_at=read.sending_at, now=now)


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
    if notification.audience == PATIENT and notification.kind in CALENDAR_KINDS and notification.booking_id:
        booking = Booking.objects.select_related("slot__specialist__user").get(pk=notification.booking_id)
        email.attach("visit.ics", ics.booking_ics(booking), "text/calendar")
    try:
        email.send()
    except AnymailRecipientsRefused as exc:  # the provider will never take this address
        raise SendError("email address refused by the provider", code="refused", permanent=True) from exc
    except AnymailAPIError as exc:  # before OSError: Anymail's HTTP errors are requests' (OSErrors)
        raise _provider_error(exc) from exc
    except OSError as exc:  # SMTP and socket errors: worth another try
        raise SendError(f"email not accepted: {type(exc).__name__}", code="smtp") from exc
    # Anymail's providers answer with their own id (the one their delivery webhooks name).
    status = getattr(email, "anymail_status", None)
    return (status.message_id if status is not None else None) or message_id


def _provider_error(exc: AnymailAPIError) -> SendError:
    """An email provider's refusal through Anymail: a 4xx other than the ones that pass
    (timeout, rate limit, a key being fixed) is about this message and is not retried."""
    status = exc.status_code
    permanent = status is not None and 400 <= status < 500 and status not in (401, 403, 408, 429)
    return SendError(
        f"email not accepted: the provider answered {status or 'nothing'}",
        code=f"http_{status}" if status else "provider",
        permanent=permanent,
    )


def backoff(attempts: int) -> dt.timedelta:
    """Exponential with full jitter: 0..base*2^(n-1), at least a second, at most an hour."""
    ceiling = min(3600, settings.NOTIFICATION_BACKOFF_SECONDS * 2 ** (attempts - 1))
    return dt.timedelta(seconds=max(1.0, random.uniform(0, ceiling)))


def _record_sent(notification_id: int, provider_id: str) -> str:
    if sql.record_sent(notification_id, provider_id=provider_id, now=timezone.now()):
        return Status.SENT
    # Settled meanwhile (a callback, an admin): leave it.
    return Notification.objects.values_list("status", flat=True).get(pk=notification_id)


def _record_failed(notification_id: int, error: SendError) -> str:
    with transaction.atomic():
        notification = Notification.objects.select_for_update(of=("self",)).get(pk=notification_id)
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
            # The number replied STOP and Twilio blocks it: as if we had heard the STOP.
            phone_opt_out(phone=notification.recipient)
        return notification.status


def notification_requeue(*, notification_id: int) -> bool:
    """A queued row whose send waits a little for its turn under SMS_RATE_LIMIT: queued as of
    now, so the dispatcher does not take it for lost and claim it again while it waits. Whether
    it was still queued."""
    now = timezone.now()
    return bool(
        Notification.objects.filter(pk=notification_id, status=Status.QUEUED).update(
            queued_at=now, updated_at=now
        )
    )


def notification_postpone(*, notification_id: int, until: dt.datetime) -> str:
    """A queued row whose turn under SMS_RATE_LIMIT is far off waits as a row, `pending` until
    then, like a retry (a task waiting that long in Redis would be delivered twice)."""
    postponed = Notification.objects.filter(pk=notification_id, status=Status.QUEUED).update(
        status=Status.PENDING, send_at=until, updated_at=timezone.now()
    )
    return Status.PENDING if postponed else "nothing to do"


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
    status = _record_sent(notification_id, provider_id)
    if notification.kind == Notification.Kind.WAITLIST_OFFER:
        # The hold starts when the patient is told, however late the message went out.
        offer = offer_of(notification.subject)
        if offer is not None:
            offer_hold_from(offer=offer, sent_at=timezone.now())
    return status
