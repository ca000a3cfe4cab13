"""The dispatcher: claim due rows, mark them queued, enqueue one send task each after commit.

Beat runs it every DISPATCH_INTERVAL_SECONDS in a worker. Safe if two beats run by mistake: on
PostgreSQL the claim is `SELECT ... FOR UPDATE SKIP LOCKED`, so two dispatchers never claim one
row; on SQLite the IMMEDIATE transaction serializes them. Rows stuck in flight longer than
NOTIFICATION_STUCK_SECONDS (a lost task, a flushed broker, a killed worker) are claimed again:
the send task's own checks make a second enqueue harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications import sql
from notifications.models import DispatcherRun, Notification

Status = Notification.Status
log = logging.getLogger(__name__)
DISPATCHER = "notifications"


@dataclass(frozen=True)
class DispatchResult:
    claimed: int
    reclaimed: int


def _lock_free(rows: QuerySet[Notification]) -> QuerySet[Notification]:
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True)
    return rows  # SQLite: the IMMEDIATE transaction already holds the only write lock


def _claim(rows: QuerySet[Notification], limit: int) -> list[tuple[int, str]]:
    return list(_lock_free(rows).values_list("id", "channel")[:limit])


def due_rows(now: dt.datetime) -> QuerySet[Notification]:
    """Pending rows whose time has come, oldest first (the partial index notification_due)."""
    return Notification.objects.filter(status=Status.PENDING, send_at__lte=now).order_by("send_at")


def stuck_rows(now: dt.datetime) -> QuerySet[Notification]:
    """Rows in flight longer than NOTIFICATION_STUCK_SECONDS. Queued too long: its task was
    lost. Sending too long: its worker died mid-attempt (`updated_at` is when the attempt
    began; a task that merely waited long in the broker must not be reclaimed while it sends)."""
    stuck_before = now - dt.timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS)
    return Notification.objects.filter(
        Q(status=Status.QUEUED, queued_at__lt=stuck_before)
        | Q(status=Status.SENDING, updated_at__lt=stuck_before)
    ).order_by("queued_at")


def notification_dispatch_due(
    *, enqueue: Callable[[int, str], None], now: dt.datetime | None = None, batch_size: int | None = None
) -> DispatchResult:
    """Claim up to `batch_size` due rows and those stuck in flight; `enqueue(id, channel)` each
    after commit."""
    now = now or timezone.now()
    limit = batch_size or settings.DISPATCH_BATCH_SIZE
    with transaction.atomic():
        due = _claim(due_rows(now), limit)
        stuck = _claim(stuck_rows(now), limit)
        claimed = due + stuck
        if claimed:
            sql.mark_queued([pk for pk, _ in claimed], now=now)
        DispatcherRun.objects.update_or_create(
            name=DISPATCHER, defaults={"last_run_at": now, "claimed": len(due), "reclaimed": len(stuck)}
        )
        transaction.on_commit(lambda: _enqueue_all(claimed, enqueue))
    if stuck:
        log.warning("dispatcher reclaimed %d notifications stuck in flight", len(stuck))
    return DispatchResult(claimed=len(due), reclaimed=len(stuck))


def _enqueue_all(claimed: list[tuple[int, str]], enqueue: Callable[[int, str], None]) -> None:
    for pk, channel in claimed:
        try:
            enqueue(pk, channel)
        except Exception:
            # The broker is down: the row stays queued and is reclaimed after the stuck timeout.
            log.exception("could not enqueue notification %s; it will be reclaimed", pk)
            return
