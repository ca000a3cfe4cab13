"""The reminder pipeline end to end: real Celery workers and beat, the real Redis broker and
PostgreSQL, Twilio replaced only at its HTTP boundary (the real SDK builds the real request).

The rows are committed (transactional tests) so the worker processes see them. A test waits for
a process to act with a bounded poll; it never sleeps to let time pass: a reminder, a backoff
or the stuck timeout comes due by travelling this process's clock (time-machine) before the
dispatcher runs in it, with the real enqueue onto the real Redis.
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications import tasks
from notifications.models import DispatcherRun, Notification
from notifications.services.dispatch import DispatchResult, notification_dispatch_due
from tests.conftest import client_for
from tests.factories import BookingFactory, PatientFactory, SlotFactory
from tests.integration.processes import (
    DEAD_BROKER,
    MESSAGES_URL,
    MESSAGING_SERVICE_SID,
    SHARED_FAKE,
    celery_broker,
    wait_for,
)
from tests.integration.race import race
from tests.twilio_fake import AUTH_TOKEN

Status = Notification.Status
PHONE = "+12125550123"  # PatientFactory's
STATUS_CALLBACK = "/api/v1/webhooks/twilio/status/"


def book(patient, slot) -> dict:
    response = client_for(patient.user).post("/api/v1/bookings/", {"slot": slot.pk}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def confirmation(booking: dict, channel: str = Notification.Channel.SMS) -> Notification:
    return Notification.objects.get(
        booking_id=booking["id"], kind=Notification.Kind.BOOKING_CONFIRMED, channel=channel
    )


def sms_only_booking() -> dict:
    return book(PatientFactory(email_opt_in=False), SlotFactory())


def dispatch() -> DispatchResult:
    """One run of the dispatcher in this process, enqueueing onto the broker for real."""
    return notification_dispatch_due(enqueue=tasks.enqueue)


def after_stuck_timeout():
    return time_machine.travel(
        timezone.now() + dt.timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS + 1), tick=True
    )


def wait_for_status(notification: Notification, status: str, attempts: int | None = None) -> Notification:
    def reached() -> bool:
        notification.refresh_from_db()
        return notification.status == status and attempts in (None, notification.attempts)

    wait_for(reached, f"notification {notification.pk} to be {status}")
    return notification


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_booking_is_confirmed_by_sms_and_email_through_beat_and_a_worker(pipeline):
    worker = pipeline.start_worker()
    pipeline.start_beat()
    patient = PatientFactory()
    slot = SlotFactory()

    booking = book(patient, slot)

    sms = wait_for_status(confirmation(booking), Status.SENT)
    email = wait_for_status(confirmation(booking, Notification.Channel.EMAIL), Status.SENT)
    # One more run of the dispatcher after the send: it must leave the sent row alone.
    wait_for(
        lambda: DispatcherRun.objects.filter(last_run_at__gt=sms.sent_at).exists(),
        "the dispatcher to run again",
    )
    start = dt.datetime.fromisoformat(booking["start"]).astimezone(ZoneInfo("America/New_York"))
    assert pipeline.twilio_requests() == [
        {
            "method": "POST",
            "url": MESSAGES_URL,
            "data": {
                "To": PHONE,
                "Body": (
                    f"{settings.CLINIC_NAME}: visit with Dr. {slot.specialist.user.last_name} "
                    f"on {start:%a %b %-d, %-I:%M %p %Z}. Join: {booking['video']['join_url']} "
                    "STOP to opt out"
                ),
                "MessagingServiceSid": MESSAGING_SERVICE_SID,
                "StatusCallback": settings.PUBLIC_BASE_URL + STATUS_CALLBACK,
            },
            "params": {},
        }
    ]
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    assert sms.provider_id.startswith("SM")
    assert sms.attempts == 1
    # The console email backend wrote the email on the worker's output, once.
    assert worker.output().count(f"Message-ID: {email.provider_id}") == 1
    assert f"To: {patient.user.email}" in worker.output()
    # The reminders wait for their time.
    reminders = Notification.objects.filter(booking_id=booking["id"], kind=Notification.Kind.REMINDER)
    assert set(reminders.values_list("status", flat=True)) == {Status.PENDING}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("hang", "requests"),
    [("after_create", ["POST", "GET"]), ("before_create", ["GET", "POST"])],
    ids=["after-twilio-accepted-it", "before-it-reached-twilio"],
)
def test_a_worker_killed_while_sending_still_sends_the_message_exactly_once(pipeline, hang, requests):
    first = pipeline.start_worker("first", SMS_BACKEND=SHARED_FAKE, FAKE_TWILIO_HANG=hang)
    sms = confirmation(sms_only_booking())
    assert dispatch() == DispatchResult(claimed=1, reclaimed=0)
    wait_for(pipeline.hung, "the first worker to hang in its call to Twilio")
    sms.refresh_from_db()
    assert sms.status == Status.SENDING

    first.kill()
    pipeline.start_worker("second", SMS_BACKEND=SHARED_FAKE)
    with after_stuck_timeout():
        assert dispatch() == DispatchResult(claimed=0, reclaimed=1)

    wait_for_status(sms, Status.SENT)
    (message,) = pipeline.twilio_messages()
    assert sms.provider_id == message["sid"]
    assert [r["method"] for r in pipeline.twilio_requests()] == requests
    (listed,) = [r for r in pipeline.twilio_requests() if r["method"] == "GET"]
    # The reconciliation: the SDK's list of recent messages to that number, no date filter.
    assert listed == {
        "method": "GET",
        "url": MESSAGES_URL,
        "data": {},
        "params": {"To": PHONE, "PageSize": 50},
    }


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_redis_is_down_succeeds_and_its_messages_go_out_once_it_is_back(
    pipeline, broker, caplog
):
    patient, slot = PatientFactory(), SlotFactory()
    with celery_broker(DEAD_BROKER):
        started = time.monotonic()
        booking = book(patient, slot)
        assert time.monotonic() - started < 2
        # The dispatcher claims the rows but cannot enqueue: they wait as rows, nothing is lost.
        assert dispatch() == DispatchResult(claimed=2, reclaimed=0)
    rows = [confirmation(booking), confirmation(booking, Notification.Channel.EMAIL)]
    assert [row.status for row in rows] == [Status.QUEUED, Status.QUEUED]
    assert "could not enqueue" in caplog.text
    assert broker.llen("celery") == 0

    pipeline.start_worker()
    with after_stuck_timeout():
        assert dispatch() == DispatchResult(claimed=0, reclaimed=2)

    for row in rows:
        wait_for_status(row, Status.SENT, attempts=1)
    assert [r["method"] for r in pipeline.twilio_requests()] == ["POST"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_twilio_server_error_is_retried_as_a_row_then_sent(pipeline):
    pipeline.start_worker(SMS_BACKEND=SHARED_FAKE, FAKE_TWILIO_FAIL="500")
    sms = confirmation(sms_only_booking())
    dispatch()

    wait_for_status(sms, Status.PENDING, attempts=1)
    assert sms.error_code == "500"
    assert sms.send_at > sms.updated_at  # the backoff: the row waits, not a Celery countdown
    with time_machine.travel(sms.send_at, tick=True):
        assert dispatch() == DispatchResult(claimed=1, reclaimed=0)

    wait_for_status(sms, Status.SENT, attempts=2)
    assert (sms.error_code, sms.last_error) == ("", "")
    first, second = pipeline.twilio_requests()
    assert first == second
    assert first["method"] == "POST"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_permanent_twilio_error_fails_at_once_and_is_never_retried(pipeline):
    worker = pipeline.start_worker(SMS_BACKEND=SHARED_FAKE, FAKE_TWILIO_FAIL="400:21211")
    sms = confirmation(sms_only_booking())
    dispatch()

    wait_for_status(sms, Status.FAILED, attempts=1)
    assert sms.error_code == "21211"
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2), tick=True):  # past any backoff
        assert dispatch() == DispatchResult(claimed=0, reclaimed=0)
    wait_for(lambda: worker.task_results("notification_send_sms_task"), "the send task to finish")
    assert worker.task_results("notification_send_sms_task") == ["'failed'"]
    assert [r["method"] for r in pipeline.twilio_requests()] == ["POST"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_booking_cancelled_between_queueing_and_sending_sends_nothing(pipeline, broker):
    patient = PatientFactory(email_opt_in=False)
    booking = book(patient, SlotFactory())
    sms = confirmation(booking)
    assert dispatch() == DispatchResult(claimed=1, reclaimed=0)
    assert broker.llen("celery") == 1  # the send task waits on the broker

    cancel = client_for(patient.user).post(f"/api/v1/bookings/{booking['id']}/cancel/", {}, format="json")
    assert cancel.status_code == 200
    worker = pipeline.start_worker()

    wait_for(lambda: worker.task_results("notification_send_sms_task"), "the send task to run")
    assert worker.task_results("notification_send_sms_task") == ["'nothing to do'"]
    sms.refresh_from_db()
    assert sms.status == Status.CANCELLED
    assert pipeline.twilio_requests() == []


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_send_task_delivered_twice_sends_once(pipeline):
    workers = [pipeline.start_worker(f"worker{i}") for i in range(2)]
    for worker in workers:
        worker.wait_ready()
    sms = confirmation(sms_only_booking())

    def twice(pk: int, channel: str) -> None:
        tasks.enqueue(pk, channel)
        tasks.enqueue(pk, channel)

    notification_dispatch_due(enqueue=twice)

    def results() -> list[str]:
        return [r for w in workers for r in w.task_results("notification_send_sms_task")]

    wait_for(lambda: len(results()) == 2, "both copies of the task to run")
    assert sorted(results()) == ["'nothing to do'", "'sent'"]
    sms.refresh_from_db()
    assert sms.status == Status.SENT
    assert [r["method"] for r in pipeline.twilio_requests()] == ["POST"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_dispatchers_running_at_once_never_claim_a_row_twice():
    """What two beats started by mistake amount to: dispatchers claiming side by side."""
    booking = BookingFactory()
    due = timezone.now() - dt.timedelta(minutes=1)
    rows = Notification.objects.bulk_create(
        Notification(
            booking=booking,
            subject=f"booking:{booking.pk}",
            kind=Notification.Kind.REMINDER,
            offset=offset,
            channel=Notification.Channel.SMS,
            recipient=PHONE,
            send_at=due,
        )
        for offset in range(200)
    )
    enqueued: list[int] = []

    def dispatcher(_: int) -> None:
        # Like a beat that fires again and again, in small batches, beside seven others.
        while notification_dispatch_due(
            enqueue=lambda pk, channel: enqueued.append(pk), batch_size=10
        ) != DispatchResult(0, 0):
            pass

    race(8, dispatcher)

    assert sorted(enqueued) == sorted(row.pk for row in rows)
    assert not Notification.objects.exclude(status=Status.QUEUED).exists()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_status_callbacks_in_reverse_order_for_a_message_the_worker_sent_end_delivered(
    pipeline, anon, settings
):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    pipeline.start_worker(SMS_BACKEND=SHARED_FAKE)
    sms = confirmation(sms_only_booking())
    dispatch()
    wait_for_status(sms, Status.SENT)
    (message,) = pipeline.twilio_messages()

    for status in ("delivered", "sent", "sending", "queued"):  # Twilio's order, reversed
        params = {"MessageSid": message["sid"], "MessageStatus": status, "To": PHONE}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            settings.PUBLIC_BASE_URL + STATUS_CALLBACK, params
        )
        response = anon.post(
            STATUS_CALLBACK,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )
        assert response.status_code == 200

    sms.refresh_from_db()
    assert sms.status == Status.DELIVERED
    assert sms.delivered_at is not None
