"""Celery tasks of the reminder pipeline: thin, ids in, one service each, safe to run twice.

No reminder waits as an ETA or countdown task: a reminder waits as a row (Redis redelivers ETA
tasks past its visibility timeout and runs them again). Retries are rows too (see
services/sending.py). The one countdown is an SMS waiting for its turn under SMS_RATE_LIMIT,
never longer than half of NOTIFICATION_STUCK_SECONDS; a turn further off waits as a row.
"""

from __future__ import annotations

import datetime as dt
import time

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from notifications import ratelimit
from notifications.backends import sms_backend
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


# A turn this close is waited out in place: a round trip through the broker costs more.
WAIT_IN_PLACE_SECONDS = 0.05


# SMS_RATE_LIMIT holds for every worker together, per sender (notifications.ratelimit); Celery's
# own rate_limit would hold per worker. A send waits for its turn as this task, retried at the
# turn with the turn taken, or (the turn far off) as its row; it is never dropped, and the send
# itself stays idempotent, so a retry delivered twice still sends once.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def notification_send_sms_task(self: Task, notification_id: int, turn_taken: bool = False) -> str:
    if not turn_taken:
        max_wait = settings.NOTIFICATION_STUCK_SECONDS / 2  # so the dispatcher never reclaims it
        turn = ratelimit.turn_take(sender=sms_backend().sender, max_wait=max_wait)
        if not turn.taken:
            until = timezone.now() + dt.timedelta(seconds=turn.wait)
            return sending.notification_postpone(notification_id=notification_id, until=until)
        if turn.wait > WAIT_IN_PLACE_SECONDS:
            if not sending.notification_requeue(notification_id=notification_id):
                return "nothing to do"  # sent, cancelled or skipped meanwhile
            raise self.retry(args=[notification_id], kwargs={"turn_taken": True}, countdown=turn.wait)
        time.sleep(turn.wait)
    return sending.notification_send(notification_id=notification_id)


@shared_task(acks_late=True, ignore_result=True)
def notification_send_email_task(notification_id: int) -> str:
    return sending.notification_send(notification_id=notification_id)


@shared_task(ignore_result=True)
def webhook_receipts_purge_task() -> int:
    return callbacks.webhook_receipts_purge()
