"""What Twilio tells us afterwards: delivery status callbacks, and inbound texts (Twilio's
opt-out and opt-in words here; replies that act in `replies`).

Twilio signs a webhook without a timestamp, so a captured request can be sent again, by anyone,
at any time, and still pass the signature check. Each is acted on once: an inbound message per
`MessageSid`, a status callback per (`MessageSid`, `MessageStatus`), recorded as a
`WebhookReceipt` in the transaction of its effect. A replayed STOP cannot opt out again a
patient who has since replied START (nor a replayed START opt back in one who said STOP).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, WebhookReceipt
from notifications.services.consent import phone_opt_in, phone_opt_out
from notifications.services.replies import notification_reply

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
    status = status.lower()
    new = TWILIO_STATUS.get(status)
    if new is None or not provider_id or not _first_receipt(provider_id, status):
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


def _first_receipt(message_sid: str, event: str) -> bool:
    """Record that this webhook is acted on; False if it was already (a replay, or Twilio's own
    retry). Inside the caller's transaction: the effect and its receipt commit together, and of
    two concurrent deliveries the second waits on the unique index, then finds the row."""
    _, created = WebhookReceipt.objects.get_or_create(message_sid=message_sid, event=event)
    return created


# Twilio answers these itself (Advanced Opt-Out's HELP text, set to the clinic's contact).
TWILIO_HELP_WORDS = frozenset({"HELP", "INFO"})


@transaction.atomic
def notification_inbound_sms(*, message_sid: str, sender: str, body: str) -> str | None:
    """Act on an inbound text: Twilio's opt-out words opt the number out, its opt-in words back
    in, and anything else but HELP may be a reply that acts (`replies`). Returns what was done
    (`opted_out`, `opted_in`, or the answer written), None for nothing or a message received
    already (a replay). Every message leaves its receipt, whatever it says: whatever an answer
    does, it does once."""
    if not _first_receipt(message_sid, WebhookReceipt.INBOUND):
        return None
    word = body.strip().upper()
    if word in STOP_WORDS:
        phone_opt_out(phone=sender)
        return "opted_out"
    if word in START_WORDS:
        phone_opt_in(phone=sender)
        return "opted_in"
    if word in TWILIO_HELP_WORDS:
        return None
    return notification_reply(message_sid=message_sid, sender=sender, word=word)


# Status receipts go after this long: by then a message has its final status, which no replay
# can move back (statuses only rise). Inbound receipts stay: a replayed START or STOP changes a
# patient's consent however old it is, and there are few of them (one per text a patient sends).
STATUS_RECEIPT_DAYS = 30


def webhook_receipts_purge(*, now: dt.datetime | None = None) -> int:
    """Delete status-callback receipts older than STATUS_RECEIPT_DAYS; how many went."""
    before = (now or timezone.now()) - dt.timedelta(days=STATUS_RECEIPT_DAYS)
    old = WebhookReceipt.objects.filter(received_at__lt=before).exclude(event=WebhookReceipt.INBOUND)
    deleted, _ = old.delete()
    return deleted
