"""The dispatcher claims due rows, marks them queued and enqueues after commit."""

import datetime as dt
from typing import ClassVar

import pytest
import time_machine
from django.utils import timezone

from notifications.backends.sms import LocmemSmsBackend
from notifications.models import DispatcherRun, Notification
from notifications.services import dispatch, sending
from notifications.tasks import (
    notification_dispatch_task,
    notification_send_email_task,
    notification_send_sms_task,
)
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status


@pytest.fixture
def booking():
    return bookings.booking_create(user=PatientFactory().user, slot_id=SlotFactory().pk).booking


def test_due_rows_are_queued_and_enqueued_only_after_commit(booking, django_capture_on_commit_callbacks):
    enqueued = []
    with django_capture_on_commit_callbacks() as callbacks:
        result = dispatch.notification_dispatch_due(
            enqueue=lambda pk, channel: enqueued.append((pk, channel))
        )
        assert enqueued == []  # nothing reaches the broker before the rows are committed queued
    assert len(callbacks) == 1
    confirmations = Notification.objects.filter(booking=booking, kind="booking_confirmed")
    callbacks[0]()
    assert sorted(enqueued) == sorted(confirmations.values_list("pk", "channel"))
    assert result.claimed == 2
    assert set(confirmations.values_list("status", flat=True)) == {Status.QUEUED}
    assert set(Notification.objects.filter(kind="reminder").values_list("status", flat=True)) == {
        Status.PENDING
    }


def test_the_task_runs_the_dispatcher_and_records_its_run(
    booking, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import tasks

    sent = []
    monkeypatch.setattr(notification_send_sms_task, "delay", lambda pk: sent.append(("sms", pk)))
    monkeypatch.setattr(notification_send_email_task, "delay", lambda pk: sent.append(("email", pk)))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notification_dispatch_task() == {"claimed": 2, "reclaimed": 0}
    assert sorted(channel for channel, _ in sent) == ["email", "sms"]
    assert DispatcherRun.objects.get(name="notifications").last_run_at is not None


def test_reminders_are_claimed_when_they_fall_due(booking):
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    reminder = Notification.objects.get(booking=booking, kind="reminder", offset=3600, channel="sms")
    with time_machine.travel(reminder.send_at + dt.timedelta(seconds=1)):
        dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    reminder.refresh_from_db()
    assert reminder.status == Status.QUEUED


def test_a_broker_down_at_enqueue_loses_nothing(booking, django_capture_on_commit_callbacks, settings):
    def broker_down(pk, channel):
        raise ConnectionError("redis is down")

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.notification_dispatch_due(enqueue=broker_down)
    confirmations = Notification.objects.filter(booking=booking, kind="booking_confirmed")
    assert set(confirmations.values_list("status", flat=True)) == {Status.QUEUED}
    later = timezone.now() + dt.timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS + 1)
    enqueued = []
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        result = dispatch.notification_dispatch_due(enqueue=lambda pk, channel: enqueued.append(pk))
    assert result.reclaimed == 2
    assert sorted(enqueued) == sorted(confirmations.values_list("pk", flat=True))


def test_batches_are_bounded(booking):
    assert dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None, batch_size=1).claimed == 1
    assert dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None, batch_size=1).claimed == 1
    assert dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None, batch_size=1).claimed == 0


def test_beat_runs_the_dispatch_task_every_dispatch_interval(settings_from_env):
    entry = settings_from_env(DISPATCH_INTERVAL_SECONDS="7").CELERY_BEAT_SCHEDULE["dispatch-notifications"]
    assert entry["task"] == notification_dispatch_task.name
    assert entry["schedule"] == 7
    assert entry["options"]["expires"] == 7  # a stopped worker does not come back to a pile of them


def test_no_task_is_scheduled_with_an_eta_or_countdown(
    booking, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(notification_send_sms_task, "apply_async", lambda *a, **kw: calls.append(kw))
    monkeypatch.setattr(notification_send_email_task, "apply_async", lambda *a, **kw: calls.append(kw))
    from notifications import tasks

    with django_capture_on_commit_callbacks(execute=True):
        tasks.notification_dispatch_task()
    assert calls and all("eta" not in kw and "countdown" not in kw for kw in calls)


class DispatcherDuringTheSend(LocmemSmsBackend):
    """Runs the dispatcher while the message is in the provider's hands."""

    reclaimed: ClassVar[list[int]] = []

    def send(self, *, to: str, body: str, status_callback: str = "") -> str:
        self.reclaimed.append(dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None).reclaimed)
        return super().send(to=to, body=body, status_callback=status_callback)


def test_a_task_that_waited_long_in_the_broker_is_not_reclaimed_while_it_sends(booking, settings):
    settings.SMS_BACKEND = f"{__name__}.DispatcherDuringTheSend"
    DispatcherDuringTheSend.reclaimed.clear()
    stuck = dt.timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS + 1)
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    row = Notification.objects.get(booking=booking, kind="booking_confirmed", channel="sms")
    with time_machine.travel(timezone.now() + stuck):
        # The task starts only now, long after it was queued; mid-send, the dispatcher
        # reclaims the email still queued from back then, not the SMS being sent.
        assert sending.notification_send(notification_id=row.pk) == Status.SENT
    assert DispatcherDuringTheSend.reclaimed == [1]
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_full_batch_is_followed_by_another_in_the_same_tick(
    booking, settings, django_capture_on_commit_callbacks
):
    from notifications import tasks

    settings.DISPATCH_BATCH_SIZE = 1
    with django_capture_on_commit_callbacks():  # nothing reaches a broker
        assert tasks.notification_dispatch_task() == {"claimed": 2, "reclaimed": 0}


@pytest.mark.postgres
def test_a_claim_marks_its_rows_queued_in_one_statement_with_one_array_of_ids(booking):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None).claimed == 2
    (marking,) = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().startswith("UPDATE notifications_notification")
    ]
    assert "= ANY(" in marking and " IN (" not in marking
    assert set(
        Notification.objects.filter(booking=booking, kind="booking_confirmed").values_list(
            "status", flat=True
        )
    ) == {Status.QUEUED}
