"""The read side of the reminder queue, for admins: lists, the stats of `admin/notifications/stats/`
and of the `/admin/queue/` dashboard, and what the broker and the workers say.

The database answers what happened to each message; the broker only how many wait in it and who
consumes them. Every broker question has a short timeout and an answer for "cannot tell" (None,
or no workers), so a dead Redis makes the stats say so instead of hanging the page.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from celery import current_app as celery_app
from django.db.models import Count, F, Min, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone
from kombu.exceptions import ChannelError

from core.filters import filtered
from notifications.models import DispatcherRun, Notification
from notifications.services.dispatch import DISPATCHER

Status = Notification.Status
log = logging.getLogger(__name__)

IN_FLIGHT = (Status.PENDING, Status.QUEUED, Status.SENDING)
# How long a ping waits for answers: every answer that comes later is a worker too busy or too
# far to count as serving the queue.
PING_TIMEOUT_SECONDS = 1.0
BROKER_TIMEOUT_SECONDS = 2.0

ORDERINGS = ("send_at", "-send_at", "created_at", "-created_at")


def notification_list(
    *,
    status: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
    booking: int | None = None,
    send_after: dt.datetime | None = None,
    send_before: dt.datetime | None = None,
    ordering: str = "-send_at",
) -> QuerySet[Notification]:
    """Filters as in API.md: `send_after` inclusive, `send_before` exclusive."""
    qs = filtered(
        Notification.objects.all(),
        status=status,
        channel=channel,
        kind=kind,
        booking_id=booking,
        send_at__gte=send_after,
        send_at__lt=send_before,
    )
    tiebreak = "-id" if ordering.startswith("-") else "id"
    return qs.order_by(ordering, tiebreak)


def _overdue(now: dt.datetime) -> QuerySet[Notification]:
    return Notification.objects.filter(status__in=IN_FLIGHT, send_at__lte=now)


def notifications_overdue(*, now: dt.datetime | None = None, limit: int = 20) -> list[Notification]:
    """The oldest messages whose time has come and that have not gone out, oldest first."""
    return list(_overdue(now or timezone.now()).select_related("booking").order_by("send_at", "id")[:limit])


def notifications_failed_recent(*, limit: int = 20) -> list[Notification]:
    """The latest failures, newest first: what an admin may retry."""
    newest = F("failed_at").desc(nulls_last=True)
    failed = Notification.objects.filter(status=Status.FAILED).select_related("booking")
    return list(failed.order_by(newest, "-id")[:limit])


def _counts() -> dict[str, dict[str, int]]:
    """Every channel and every status, zeros included (fields are never omitted)."""
    counts = {channel: dict.fromkeys(Status.values, 0) for channel in Notification.Channel.values}
    for row in Notification.objects.order_by().values("channel", "status").annotate(n=Count("id")):
        counts[row["channel"]][row["status"]] = row["n"]
    return counts


def _sent_and_failed(now: dt.datetime) -> dict[str, int]:
    hour, day = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
    totals = Notification.objects.filter(Q(sent_at__gte=day) | Q(failed_at__gte=day)).aggregate(
        sent_last_hour=Count("id", filter=Q(sent_at__gte=hour)),
        failed_last_hour=Count("id", filter=Q(failed_at__gte=hour)),
        sent_last_day=Count("id", filter=Q(sent_at__gte=day)),
        failed_last_day=Count("id", filter=Q(failed_at__gte=day)),
    )
    return {name: value or 0 for name, value in totals.items()}


def _queues() -> list[str]:
    """The queues this project's workers consume (a plain `celery -A config worker` takes all)."""
    configured = celery_app.conf.task_queues
    if configured:
        return [queue.name for queue in configured]
    return [celery_app.conf.task_default_queue]


def broker_queue_depth() -> int | None:
    """Messages waiting in the broker (not those a worker holds unacknowledged), or None if the
    broker does not answer. A passive declare reads the count without creating anything."""
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            channel = conn.default_channel
            depth = 0
            for queue in _queues():
                try:
                    depth += channel.queue_declare(queue=queue, passive=True).message_count
                except ChannelError:
                    # Redis keeps no empty lists: a queue with nothing in it does not exist.
                    channel = conn.channel()
            return depth
    except Exception as exc:  # any failure means "cannot tell", which the stats report as null
        log.warning("queue depth unreadable: %s", type(exc).__name__)
        return None


def broker_workers() -> list[str]:
    """Names of the workers that answer a ping within PING_TIMEOUT_SECONDS."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            replies = celery_app.control.ping(timeout=PING_TIMEOUT_SECONDS, connection=conn)
    except Exception as exc:
        log.warning("workers unreachable: %s", type(exc).__name__)
        return []
    return sorted(name for reply in replies for name in reply)


def dispatcher_last_run() -> dt.datetime | None:
    return DispatcherRun.objects.filter(name=DISPATCHER).values_list("last_run_at", flat=True).first()


@dataclass(frozen=True)
class QueueStats:
    counts: dict[str, dict[str, int]]
    oldest_overdue_seconds: float | None
    sent_last_hour: int
    failed_last_hour: int
    sent_last_day: int
    failed_last_day: int
    queue_depth: int | None
    dispatcher_last_run: dt.datetime | None
    workers: list[str]


def notification_stats(*, now: dt.datetime | None = None) -> QueueStats:
    now = now or timezone.now()
    oldest = _overdue(now).aggregate(oldest=Min("send_at"))["oldest"]
    return QueueStats(
        counts=_counts(),
        oldest_overdue_seconds=round((now - oldest).total_seconds(), 3) if oldest else None,
        **_sent_and_failed(now),
        queue_depth=broker_queue_depth(),
        dispatcher_last_run=dispatcher_last_run(),
        workers=broker_workers(),
    )


@dataclass(frozen=True)
class HourCount:
    hour: dt.datetime
    sent: int
    failed: int


def notification_hourly(*, now: dt.datetime | None = None, hours: int = 24) -> list[HourCount]:
    """Sent and failed per hour over the last `hours` hours, oldest first, empty hours as 0."""
    now = now or timezone.now()
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - dt.timedelta(hours=hours - 1)
    sent = _per_hour(Notification.objects.filter(sent_at__gte=first), "sent_at")
    failed = _per_hour(Notification.objects.filter(failed_at__gte=first), "failed_at")
    buckets = [first + dt.timedelta(hours=n) for n in range(hours)]
    return [HourCount(hour, sent.get(hour, 0), failed.get(hour, 0)) for hour in buckets]


def _per_hour(rows: QuerySet[Notification], field: str) -> dict[Any, int]:
    grouped = (
        rows.order_by().annotate(hour=TruncHour(field, tzinfo=dt.UTC)).values("hour").annotate(n=Count("id"))
    )
    return {row["hour"]: row["n"] for row in grouped}
