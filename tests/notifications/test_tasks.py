"""The send task under SMS_RATE_LIMIT: a send over the limit waits for its turn, as a retry or
as its row, and is never dropped nor sent twice."""

import datetime as dt

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from notifications.backends.sms import LocmemSmsBackend
from notifications.models import Notification
from notifications.services import dispatch
from notifications.tasks import notification_send_sms_task
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status


@pytest.fixture
def outbox(settings, monkeypatch, tmp_path):
    settings.SMS_BACKEND = "locmem"
    settings.SMS_RATE_LIMIT = "1/s"
    settings.VAR_DIR = tmp_path  # the embedded broker's schedule, fresh
    settings.CELERY_BROKER_URL = "filesystem://localhost//"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    return LocmemSmsBackend.outbox


@pytest.fixture
def two_queued_sms():
    for _ in range(2):
        patient = PatientFactory(email_opt_in=False)
        bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk)
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    return list(Notification.objects.filter(status=Status.QUEUED, channel="sms").order_by("pk"))


@pytest.fixture
def retries(monkeypatch):
    """The retries the task publishes, as a worker would see them (a task called directly
    cannot publish its retry)."""
    published = []
    monkeypatch.setattr(notification_send_sms_task, "apply_async", lambda *a, **kw: published.append((a, kw)))
    notification_send_sms_task.push_request(called_directly=False, id="the-task", args=[], kwargs={})
    yield published
    notification_send_sms_task.pop_request()


def test_a_send_over_the_limit_is_retried_at_its_turn_and_sends_then(outbox, two_queued_sms, retries):
    first, second = two_queued_sms
    assert notification_send_sms_task(first.pk) == Status.SENT

    with pytest.raises(Retry):
        notification_send_sms_task(second.pk)

    assert len(outbox) == 1
    ((args, options),) = retries
    assert args == ((second.pk,), {"turn_taken": True})
    assert 0.5 < options["countdown"] <= 1
    second.refresh_from_db()
    assert second.status == Status.QUEUED
    assert second.queued_at > first.queued_at  # waiting for its turn, not lost
    # The retry, at its turn, sends without asking for another.
    assert notification_send_sms_task(second.pk, turn_taken=True) == Status.SENT
    assert [message.to for message in outbox] == [first.recipient, second.recipient]


def test_a_send_whose_turn_is_far_off_waits_as_a_pending_row(outbox, two_queued_sms, retries, settings):
    settings.SMS_RATE_LIMIT = "1/h"
    first, second = two_queued_sms
    notification_send_sms_task(first.pk)

    assert notification_send_sms_task(second.pk) == Status.PENDING

    assert len(outbox) == 1
    assert retries == []
    second.refresh_from_db()
    assert second.status == Status.PENDING
    in_an_hour = timezone.now() + dt.timedelta(hours=1)
    assert in_an_hour - dt.timedelta(seconds=5) < second.send_at <= in_an_hour


def test_a_cancelled_row_does_not_wait_for_a_turn(outbox, two_queued_sms, retries):
    first, second = two_queued_sms
    notification_send_sms_task(first.pk)
    Notification.objects.filter(pk=second.pk).update(status=Status.CANCELLED)

    assert notification_send_sms_task(second.pk) == "nothing to do"

    assert retries == []
    assert len(outbox) == 1
