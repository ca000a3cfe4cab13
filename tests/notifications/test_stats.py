"""`admin/notifications/stats/`: what the database says of the queue, and what the broker says.

The broker's answers are real here too: Redis for the depth and the ping, a dead port for "cannot
tell". The full story, a stopped worker and its backlog, is in tests/integration/test_queue_stats.py.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import redis
import time_machine

from notifications import selectors, tasks
from notifications.models import DispatcherRun, Notification
from tests.factories import NotificationFactory
from tests.integration.processes import DEAD_BROKER, celery_broker

pytestmark = pytest.mark.django_db
Status = Notification.Status
Channel = Notification.Channel
URL = "/api/v1/admin/notifications/stats/"
# Tomorrow on the hour: near enough that the test clients' tokens (made now, expiring after
# TOKEN_TTL_HOURS) are still good.
NOW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def counts(**nonzero: int) -> dict[str, int]:
    """Every status of one channel: zeros are there too."""
    return {status: nonzero.get(status, 0) for status in Status.values}


def failed_at(when: dt.datetime, **fields) -> Notification:
    return NotificationFactory(status=Status.FAILED, failed_at=when, **fields)


def test_stats_answer_every_field_of_the_contract(admin_client, broker_says):
    DispatcherRun.objects.create(name="notifications", last_run_at=NOW - dt.timedelta(seconds=20))
    with time_machine.travel(NOW, tick=False):
        NotificationFactory(send_at=NOW - dt.timedelta(seconds=90))
        body = admin_client.get(URL).json()

    assert body == {
        "counts": {"sms": counts(pending=1), "email": counts()},
        "oldest_overdue_seconds": 90.0,
        "sent_last_hour": 0,
        "failed_last_hour": 0,
        "sent_last_day": 0,
        "failed_last_day": 0,
        "queue_depth": 7,
        "dispatcher_last_run": (NOW - dt.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "workers": ["worker@clinic-1"],
    }


def test_counts_are_per_channel_then_status_zeros_included():
    NotificationFactory.create_batch(2)
    NotificationFactory(status=Status.SENT)
    NotificationFactory(channel=Channel.EMAIL, status=Status.FAILED)

    assert selectors.notification_stats().counts == {
        "sms": counts(pending=2, sent=1),
        "email": counts(failed=1),
    }


def test_the_oldest_overdue_is_the_oldest_due_message_not_yet_sent():
    ago = {s: NOW - dt.timedelta(seconds=s) for s in (30, 90, 600, 900)}
    NotificationFactory(status=Status.QUEUED, send_at=ago[30])
    NotificationFactory(status=Status.SENDING, send_at=ago[90])
    NotificationFactory(status=Status.SENT, send_at=ago[600])
    NotificationFactory(status=Status.FAILED, send_at=ago[900])
    NotificationFactory(send_at=NOW + dt.timedelta(hours=1))  # not due yet

    with time_machine.travel(NOW, tick=False):
        assert selectors.notification_stats().oldest_overdue_seconds == 90.0
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert selectors.notification_stats().oldest_overdue_seconds == 390.0


def test_nothing_overdue_reads_null():
    NotificationFactory(send_at=NOW + dt.timedelta(hours=1))
    NotificationFactory(status=Status.SENT, send_at=NOW - dt.timedelta(hours=1))

    with time_machine.travel(NOW, tick=False):
        assert selectors.notification_stats().oldest_overdue_seconds is None


def test_sent_and_failed_are_counted_over_the_last_hour_and_day():
    for minutes in (10, 50, 120, 60 * 30):
        NotificationFactory(status=Status.DELIVERED, sent_at=NOW - dt.timedelta(minutes=minutes))
    for minutes in (5, 300, 60 * 25):
        failed_at(NOW - dt.timedelta(minutes=minutes))

    with time_machine.travel(NOW, tick=False):
        stats = selectors.notification_stats()

    assert (stats.sent_last_hour, stats.sent_last_day) == (2, 3)
    assert (stats.failed_last_hour, stats.failed_last_day) == (1, 2)


def test_a_failure_retried_and_sent_since_still_counts_as_a_failure_of_the_hour():
    NotificationFactory(
        status=Status.SENT,
        failed_at=NOW - dt.timedelta(minutes=20),
        sent_at=NOW - dt.timedelta(minutes=5),
    )

    with time_machine.travel(NOW, tick=False):
        stats = selectors.notification_stats()

    assert (stats.failed_last_hour, stats.sent_last_hour) == (1, 1)


def test_the_dispatcher_that_never_ran_reads_null(admin_client, broker_says):
    assert admin_client.get(URL).json()["dispatcher_last_run"] is None


def test_the_hourly_series_covers_24_hours_with_empty_hours_as_zero():
    NotificationFactory(status=Status.SENT, sent_at=NOW - dt.timedelta(minutes=10))
    NotificationFactory(status=Status.SENT, sent_at=NOW - dt.timedelta(minutes=20))
    NotificationFactory(status=Status.SENT, sent_at=NOW - dt.timedelta(hours=3, minutes=1))
    failed_at(NOW - dt.timedelta(hours=1, minutes=30))
    NotificationFactory(status=Status.SENT, sent_at=NOW - dt.timedelta(hours=30))  # too old

    with time_machine.travel(NOW + dt.timedelta(minutes=15), tick=False):
        series = selectors.notification_hourly()

    assert len(series) == 24
    assert series[-1].hour == NOW
    assert series[0].hour == NOW - dt.timedelta(hours=23)
    by_hour = {(NOW - point.hour) // dt.timedelta(hours=1): (point.sent, point.failed) for point in series}
    assert by_hour[0] == (0, 0)  # 12:00-13:00: the current hour, nothing yet
    assert by_hour[1] == (2, 0)  # 11:00-12:00
    assert by_hour[2] == (0, 1)
    assert by_hour[4] == (1, 0)
    assert sum(point.sent for point in series) == 3


@pytest.mark.redis
def test_the_queue_depth_counts_the_messages_waiting_in_redis():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    with celery_broker(os.environ["REDIS_URL"]):
        assert selectors.broker_queue_depth() == 0  # Redis keeps no empty queue: still 0, not null
        for pk in (1, 2, 3):
            tasks.enqueue(pk, Channel.SMS)

        assert selectors.broker_queue_depth() == 3
        assert selectors.broker_workers() == []  # nobody consumes this test's Redis database
    client.flushdb()


def test_a_broker_that_does_not_answer_reads_null_depth_and_no_workers():
    with celery_broker(DEAD_BROKER):
        assert selectors.broker_queue_depth() is None
        assert selectors.broker_workers() == []
