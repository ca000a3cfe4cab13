"""An admin steers the queue: retry a message that failed (or was cancelled), cancel one that
waits. The API, the Django admin's bulk actions and the dashboard's buttons all call these.

Each is one locked read and one write in a transaction, with an audit event beside it, and each
acts only from the statuses the contract names (anything else is a 409 `invalid_transition`).
The send task moves a row to `sending` only if it is still as the task read it (its
`updated_at` included), so an admin's cancel and a worker's send never both win, and a stale
task never sends a row that was cancelled and retried since.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.models import User
from core.audit import audit_event_record
from core.errors import Conflict, NotFound
from notifications.models import PATIENT, Notification
from notifications.privacy import mask_contacts, mask_recipient
from notifications.services.writing import ABOUT_THE_VISIT, recipients
from scheduling.models import Booking

Status = Notification.Status

RETRYABLE = (Status.FAILED, Status.CANCELLED)
CANCELLABLE = (Status.PENDING, Status.QUEUED)


def retry_could_send(notification: Notification) -> bool:
    """Whether retrying the message could send it at all, rather than only end it `cancelled`
    again: the send task cancels a message about the visit (its confirmation, a reminder, the
    reschedule notice) once the booking is no longer confirmed. So the dashboard offers no Retry
    for those of a cancelled or rescheduled visit. (Its booking is read: select it along.)"""
    booking = notification.booking
    return notification.status in RETRYABLE and not (
        notification.kind in ABOUT_THE_VISIT
        and booking is not None
        and booking.status != Booking.Status.CONFIRMED
    )


def _state(notification: Notification) -> dict[str, Any]:
    return {
        "status": notification.status,
        "recipient": mask_recipient(notification.recipient),
        "send_at": notification.send_at.isoformat(),
        "attempts": notification.attempts,
        "error_code": notification.error_code,
        "last_error": mask_contacts(notification.last_error),
    }


def _locked(notification_id: int, allowed: tuple[str, ...], verb: str) -> Notification:
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("booking__patient__user")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        raise NotFound("No such notification.")
    if notification.status not in allowed:
        raise Conflict(
            f"A {notification.status} notification cannot be {verb}; only {' or '.join(allowed)} ones can.",
            code="invalid_transition",
        )
    return notification


@transaction.atomic
def notification_retry(*, notification_id: int, by: User) -> Notification:
    """Failed or cancelled -> pending, due now, with a fresh budget of attempts, to the patient's
    address as it is now: an admin who corrected a wrong phone number retries to the right one.

    The send task still re-checks the booking and the opt-in, so retrying a message of a
    cancelled visit ends it `cancelled` again rather than sending it. An attempt that failed on
    its way (a network error) keeps its `sending_at`, so the next one asks the provider before it
    sends; one the provider accepted and then failed is cleared. The last attempt's error is
    cleared too, so the row never shows it as if the new attempt had failed; the audit event keeps
    it (its `before`).
    """
    notification = _locked(notification_id, RETRYABLE, "retried")
    before = _state(notification)
    notification.status = Status.PENDING
    notification.send_at = timezone.now()
    notification.attempts = 0
    notification.last_error = notification.error_code = ""
    # An opted-out channel has no address now: the row keeps its own, and the send skips it.
    if notification.audience == PATIENT and notification.booking is not None:
        notification.recipient = recipients(notification.booking.patient).get(
            notification.channel, notification.recipient
        )
    if notification.provider_id:
        # The provider took the last attempt and then reported it failed: that message is done
        # with. The retry is a new message, with nothing to reconcile and no old callbacks'
        # id to answer to.
        notification.provider_id = ""
        notification.sending_at = notification.sent_at = notification.delivered_at = None
    notification.save(
        update_fields=[
            "status",
            "send_at",
            "attempts",
            "last_error",
            "error_code",
            "recipient",
            "provider_id",
            "sending_at",
            "sent_at",
            "delivered_at",
            "updated_at",
        ]
    )
    audit_event_record(
        actor=by, action="notification.retried", obj=notification, before=before, after=_state(notification)
    )
    return notification


@transaction.atomic
def notification_cancel(*, notification_id: int, by: User) -> Notification:
    """Pending or queued -> cancelled. A queued row's task then finds nothing to do."""
    notification = _locked(notification_id, CANCELLABLE, "cancelled")
    before = _state(notification)
    notification.status = Status.CANCELLED
    notification.save(update_fields=["status", "updated_at"])
    audit_event_record(
        actor=by, action="notification.cancelled", obj=notification, before=before, after=_state(notification)
    )
    return notification
