"""Celery tasks of the reminder pipeline: thin, ids in, one service each, safe to run twice.

No task carries an ETA or countdown: a reminder waits as a row (Redis redelivers ETA tasks past
its visibility timeout and runs them again). Retries are rows too (see services/sending.py).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from notifications.models import Notification
from notifications.services import callbacks, dispatch, sending


def enqueue(notification_id: int, channel: str) -> None:
    task = notification_send_sms_task if channel == Notification.Channel.SMS else notification_send_email_task
    task.delay(notification_id)


# A full batch means more is due: claim again at once rather than wait for the next beat,
# or a backlog drains at one batch per interval however many workers there are. Bounded, so a
# tick ends.
MAX_BATCHES_PER_TICK = 20


@shared_task(acks_late=True, ignore_result=True)
def notification_dispatch_task() -> dict[str, int]:
    claimed = reclaimed = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        result = dispatch.notification_dispatch_due(enqueue=enqueue)
        claimed += result.claimed
        reclaimed += result.reclaimed
        if result.claimed < settings.DISPATCH_BATCH_SIZE:
            break
    return {"claimed": claimed, "reclaimed": reclaimed}


# rate_limit is per worker: Twilio long codes take about one message a second.
@shared_task(acks_late=True, ignore_result=True, rate_limit=settings.SMS_RATE_LIMIT)
def notification_send_sms_task(notification_id: int) -> str:
    return sending.notification_send(notification_id=notification_id)


@shared_task(acks_late=True, ignore_result=True)
def notification_send_email_task(notification_id: int) -> str:
    return sending.notification_send(notification_id=notification_id)


@shared_task(ignore_result=True)
def webhook_receipts_purge_task() -> int:
    return callbacks.webhook_receipts_purge()
