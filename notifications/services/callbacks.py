"""What Twilio tells us afterwards: delivery status callbacks and inbound STOP/START keywords."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from clinic.services import patients_sms_opt_in_by_phone
from notifications.models import Notification
from notifications.services.writing import notifications_skip_channel

Status = Notification.Status

# Twilio's MessageStatus, folded onto ours; a status moves only to a higher rank, so callbacks
# arriving out of order (they do) never move a message backwards.
TWILIO_STATUS = {
    "accepted": Status.SENT,
    "queued": Status.SENT,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
}
RANK: dict[str, int] = {
    Status.SENDING: 0,
    Status.SENT: 1,
    Status.DELIVERED: 2,
    Status.UNDELIVERED: 2,
    Status.FAILED: 2,
}

# Twilio's own opt-out and opt-in keywords (Advanced Opt-Out defaults).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})


@transaction.atomic
def notification_status_callback(*, provider_id: str, status: str, error_code: str = "") -> bool:
    """Apply a status callback; False if it changed nothing (unknown sid, stale or repeated)."""
    new = TWILIO_STATUS.get(status.lower())
    if new is None or not provider_id:
        return False
    notification = Notification.objects.select_for_update().filter(provider_id=provider_id).first()
    if notification is None or notification.status not in RANK or RANK[new] <= RANK[notification.status]:
        return False
    notification.status = new
    if new == Status.DELIVERED:
        notification.delivered_at = timezone.now()
    elif new == Status.FAILED:
        notification.failed_at = timezone.now()
    if error_code:
        notification.error_code = error_code[:20]
        notification.last_error = f"Twilio error {error_code}"[:500]
    notification.save()
    return True


def inbound_keyword(body: str) -> bool | None:
    """True for a START word, False for a STOP word, None otherwise."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return False
    if word in START_WORDS:
        return True
    return None


@transaction.atomic
def notification_inbound_sms(*, sender: str, body: str) -> bool | None:
    """Opt the sender's patients out of SMS (STOP family) or back in (START family)."""
    opt_in = inbound_keyword(body)
    if opt_in is None:
        return None
    for patient in patients_sms_opt_in_by_phone(phone=sender, opt_in=opt_in):
        if not opt_in:
            notifications_skip_channel(patient=patient, channel=Notification.Channel.SMS)
    return opt_in
