"""One notification through its statuses: idempotent, retried as a row, exactly once for SMS."""

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from clinic.services import profile_update
from notifications.backends.sms import LocmemSmsBackend
from notifications.models import Notification
from notifications.services import dispatch, sending, steering
from notifications.services.consent import phone_blocked
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN

pytestmark = pytest.mark.django_db
Status = Notification.Status


@pytest.fixture
def locmem(settings, monkeypatch):
    settings.SMS_BACKEND = "locmem"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return LocmemSmsBackend.outbox


@pytest.fixture
def booking():
    patient = PatientFactory(phone="+12125550123")
    return bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking


def queued(booking, channel="sms", kind="booking_confirmed"):
    """Claim the due rows as the dispatcher does; return the one asked for."""
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    return Notification.objects.get(booking=booking, kind=kind, channel=channel, offset=0)


def test_the_sdk_sends_the_exact_request(twilio, booking):
    row = queued(booking)
    assert sending.notification_send(notification_id=row.pk) == Status.SENT
    (request,) = twilio.creates
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.data["To"] == "+12125550123"
    assert request.data["MessagingServiceSid"] == "MG" + "1" * 32
    assert (
        request.data["StatusCallback"] == "https://visits.neuroclinic.example/api/v1/webhooks/twilio/status/"
    )
    assert "Join: https://visits.neuroclinic.example/v/" in request.data["Body"]
    row.refresh_from_db()
    assert (row.status, row.provider_id, row.attempts) == (Status.SENT, twilio.messages[0]["sid"], 1)
    assert row.sent_at is not None


def test_a_send_makes_three_statements(locmem, booking, django_assert_num_queries):
    # The hot path of the pipeline: the read with everything the message needs, the move to
    # `sending`, the record of `sent`. Each commits on its own; no transaction around them.
    row = queued(booking)
    with django_assert_num_queries(3):
        assert sending.notification_send(notification_id=row.pk) == Status.SENT
    assert len(locmem) == 1


@contextmanager
def between_the_read_and_the_move(change):
    """Run `change` once, just before the send's first UPDATE (its move of the row as read)
    reaches the database: as a change committed by another process between the send's read
    and that UPDATE would."""
    pending = [change]

    def first_update_waits(execute, sql, params, many, context):
        if pending and sql.lstrip().upper().startswith("UPDATE"):
            pending.pop()()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(first_update_waits):
        yield


def test_a_second_task_that_begins_between_the_read_and_the_move_sends_alone(locmem, booking):
    row = queued(booking)

    def other_task_first():
        assert sending.notification_send(notification_id=row.pk) == Status.SENT

    with between_the_read_and_the_move(other_task_first):
        assert sending.notification_send(notification_id=row.pk) == "nothing to do"
    assert len(locmem) == 1


def test_a_cancel_between_the_read_and_the_move_sends_nothing(locmem, booking):
    row = queued(booking)

    def cancel_first():
        bookings.booking_cancel(booking=booking, by=booking.patient.user)

    with between_the_read_and_the_move(cancel_first):
        assert sending.notification_send(notification_id=row.pk) == "nothing to do"
    row.refresh_from_db()
    assert row.status == Status.CANCELLED
    assert locmem == []


def test_a_row_cancelled_retried_and_claimed_again_since_the_read_is_not_sent_by_the_stale_task(
    locmem, booking, admin_user
):
    row = queued(booking)

    def cancel_retry_and_claim_first():  # the row comes back queued, attempts 0, as read
        steering.notification_cancel(notification_id=row.pk, by=admin_user)
        steering.notification_retry(notification_id=row.pk, by=admin_user)
        dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)

    with between_the_read_and_the_move(cancel_retry_and_claim_first):
        assert sending.notification_send(notification_id=row.pk) == "nothing to do"
    assert locmem == []
    row.refresh_from_db()
    assert row.status == Status.QUEUED  # for the new claim's task to send, after its own checks


def test_from_number_when_no_messaging_service(twilio, booking, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    sending.notification_send(notification_id=queued(booking).pk)
    assert twilio.creates[0].data["From"] == "+15005550006"
    assert "MessagingServiceSid" not in twilio.creates[0].data


def test_a_second_run_of_the_task_sends_nothing(twilio, booking):
    row = queued(booking)
    sending.notification_send(notification_id=row.pk)
    assert sending.notification_send(notification_id=row.pk) == "nothing to do"
    assert len(twilio.creates) == 1


def test_a_pending_row_is_not_sent_by_a_stray_task(twilio, booking):
    row = Notification.objects.get(booking=booking, kind="booking_confirmed", channel="sms")
    assert sending.notification_send(notification_id=row.pk) == "nothing to do"
    assert twilio.creates == []


def test_cancelled_between_queueing_and_sending_sends_nothing(twilio, booking):
    row = queued(booking)
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    assert sending.notification_send(notification_id=row.pk) == "nothing to do"
    row.refresh_from_db()
    assert row.status == Status.CANCELLED
    assert twilio.creates == []


def test_a_booking_cancelled_after_queueing_cancels_at_send_time(twilio, booking):
    row = queued(booking)
    # The cancel's own update missed it (e.g. it was being dispatched): the send re-checks.
    type(booking).objects.filter(pk=booking.pk).update(status="cancelled")
    sending.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == Status.CANCELLED
    assert twilio.creates == []


def test_an_opted_out_patient_is_skipped(twilio, booking):
    row = queued(booking)
    type(booking.patient).objects.filter(pk=booking.patient.pk).update(sms_opt_in=False)
    sending.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == Status.SKIPPED
    assert twilio.creates == []


def test_a_patient_who_opted_out_of_email_is_skipped(locmem, booking):
    row = queued(booking, channel="email")
    type(booking.patient).objects.filter(pk=booking.patient.pk).update(email_opt_in=False)
    sending.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == Status.SKIPPED
    assert mail.outbox == []


def test_a_text_to_a_patient_who_took_their_phone_away_is_skipped(twilio, booking):
    row = queued(booking)
    profile_update(user=booking.patient.user, changes={"phone": ""})  # the texts stay opted in
    sending.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == Status.SKIPPED
    assert twilio.creates == []


def test_a_twilio_5xx_goes_back_to_pending_with_a_backoff_then_sends(twilio, booking):
    row = queued(booking)
    twilio.fail_next(503)
    assert sending.notification_send(notification_id=row.pk) == Status.PENDING
    row.refresh_from_db()
    assert row.attempts == 1
    assert row.error_code == "503"
    assert row.send_at > timezone.now()
    with time_machine.travel(row.send_at + dt.timedelta(seconds=1)):
        row = queued(booking)
        assert sending.notification_send(notification_id=row.pk) == Status.SENT
    row.refresh_from_db()
    assert (row.attempts, row.last_error) == (2, "")
    assert len(twilio.creates) == 2


def test_transient_failures_stop_at_the_limit(twilio, booking, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    row = queued(booking)
    start = timezone.now()
    for hours in (2, 4):  # well past any backoff
        twilio.fail_next(500)
        with time_machine.travel(start + dt.timedelta(hours=hours)):
            dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
            status = sending.notification_send(notification_id=row.pk)
    assert status == Status.FAILED
    row.refresh_from_db()
    assert row.attempts == 2


@pytest.mark.parametrize("code", [21211, 21614])
def test_a_permanent_error_fails_at_once(twilio, booking, code):
    row = queued(booking)
    twilio.fail_next(400, code=code)
    assert sending.notification_send(notification_id=row.pk) == Status.FAILED
    row.refresh_from_db()
    assert (row.attempts, row.error_code) == (1, str(code))
    assert timezone.now() - row.failed_at < dt.timedelta(seconds=5)


def test_a_failure_is_recorded_without_the_number_twilio_names(twilio, booking):
    row = queued(booking)
    twilio.fail_next(400, code=21211)  # "The 'To' number +1... is not a valid phone number."

    sending.notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert row.recipient not in row.last_error
    assert f"number {'*' * (len(row.recipient) - 4)}{row.recipient[-4:]} is not" in row.last_error


def test_21610_unsubscribed_also_opts_the_number_out(twilio, booking):
    row = queued(booking)
    twilio.fail_next(400, code=21610)
    sending.notification_send(notification_id=row.pk)
    booking.patient.refresh_from_db()
    assert booking.patient.sms_opt_in is False
    assert phone_blocked(row.recipient)
    assert set(
        Notification.objects.filter(booking=booking, channel="sms", kind="reminder").values_list(
            "status", flat=True
        )
    ) == {Status.SKIPPED}


class WorkerKilled(BaseException):
    """A `kill -9` of the worker: nothing of the send runs after it."""


def die_after(request):
    def dying(*args, **kwargs):
        request(*args, **kwargs)
        raise WorkerKilled

    return dying


def test_a_row_found_in_sending_is_reconciled_before_it_is_sent_again(twilio, booking, settings, monkeypatch):
    row = queued(booking)
    accept = twilio.request
    monkeypatch.setattr(twilio, "request", die_after(accept))  # Twilio accepts, the worker dies
    with pytest.raises(WorkerKilled):
        sending.notification_send(notification_id=row.pk)
    monkeypatch.setattr(twilio, "request", accept)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS + 1)):
        dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
        row.refresh_from_db()
        assert (row.status, row.sending_at is not None) == (Status.QUEUED, True)  # reclaimed, not reset
        assert sending.notification_send(notification_id=row.pk) == Status.SENT
    assert len(twilio.creates) == 1  # found, not sent again
    assert [r.method for r in twilio.requests] == ["POST", "GET"]
    row.refresh_from_db()
    assert row.provider_id == twilio.messages[0]["sid"]


def test_a_row_found_in_sending_that_never_went_out_is_sent(twilio, booking, settings, monkeypatch):
    row = queued(booking)

    def killed(*args, **kwargs):  # the worker died before Twilio had it
        raise WorkerKilled

    accept = twilio.request
    monkeypatch.setattr(twilio, "request", killed)
    with pytest.raises(WorkerKilled):
        sending.notification_send(notification_id=row.pk)
    monkeypatch.setattr(twilio, "request", accept)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS + 1)):
        dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
        assert sending.notification_send(notification_id=row.pk) == Status.SENT
    assert [r.method for r in twilio.requests] == ["GET", "POST"]


def test_email_goes_out_with_text_html_and_the_calendar(locmem, booking):
    row = queued(booking, channel="email")
    assert sending.notification_send(notification_id=row.pk) == Status.SENT
    (email,) = mail.outbox
    assert email.to == [booking.patient.user.email]
    assert "/v/" in email.body
    assert email.alternatives[0].mimetype == "text/html"
    assert email.attachments[0][0] == "visit.ics"


def test_locmem_sms_backend_keeps_the_message(locmem, booking):
    row = queued(booking)
    sending.notification_send(notification_id=row.pk)
    assert [m.to for m in locmem] == ["+12125550123"]


def test_a_connection_lost_after_twilio_accepted_is_not_sent_twice(twilio, booking, monkeypatch):
    import requests

    row = queued(booking)
    accept = twilio.request

    def accept_then_drop(*args, **kwargs):
        accept(*args, **kwargs)  # Twilio has the message ...
        raise requests.ConnectionError("connection reset by peer")  # ... and we never hear so

    monkeypatch.setattr(twilio, "request", accept_then_drop)
    assert sending.notification_send(notification_id=row.pk) == Status.PENDING
    monkeypatch.setattr(twilio, "request", accept)
    row.refresh_from_db()
    with time_machine.travel(row.send_at + dt.timedelta(seconds=1)):
        row = queued(booking)
        assert sending.notification_send(notification_id=row.pk) == Status.SENT
    assert len(twilio.creates) == 1
    assert [r.method for r in twilio.requests] == ["POST", "GET"]


def test_the_console_refuses_twilios_test_invalid_number_as_twilio_does(settings, capsys):
    settings.SMS_BACKEND = "console"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    patient = PatientFactory(phone="+15005550001")
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    row = queued(booking)

    assert sending.notification_send(notification_id=row.pk) == Status.FAILED

    row.refresh_from_db()
    assert (row.error_code, row.attempts) == ("21211", 1)
    assert "is not a valid phone number" in row.last_error
    assert "--- SMS" not in capsys.readouterr().out


def test_the_console_prints_other_numbers_with_ids_unique_across_processes(settings, capsys, booking):
    settings.SMS_BACKEND = "console"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    row = queued(booking)

    assert sending.notification_send(notification_id=row.pk) == Status.SENT

    row.refresh_from_db()
    assert row.provider_id.startswith("console-") and len(row.provider_id) == len("console-") + 16
    assert f"--- SMS to +12125550123 ({row.provider_id})" in capsys.readouterr().out


def test_a_reminder_found_due_in_the_quiet_hours_waits_for_them_to_end(locmem, settings, time_machine):
    new_york = ZoneInfo("America/New_York")
    settings.QUIET_HOURS = (dt.time(21), dt.time(8))
    time_machine.move_to(dt.datetime(2026, 12, 7, 12, tzinfo=new_york), tick=False)
    patient = PatientFactory(phone="+12125550123")
    slot = SlotFactory(start=dt.datetime(2026, 12, 9, 10, tzinfo=new_york))
    booking = bookings.booking_create(user=patient.user, slot_id=slot.pk).booking
    # A failed attempt's backoff ended at 22:55, in the night.
    row = Notification.objects.get(booking=booking, kind="reminder", channel="sms", offset=86400)
    Notification.objects.filter(pk=row.pk).update(send_at=dt.datetime(2026, 12, 7, 22, 55, tzinfo=new_york))
    time_machine.move_to(dt.datetime(2026, 12, 7, 23, tzinfo=new_york), tick=False)
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)

    assert sending.notification_send(notification_id=row.pk) == "nothing to do"

    row.refresh_from_db()
    assert locmem == []
    assert (row.status, row.send_at) == (Status.PENDING, dt.datetime(2026, 12, 8, 8, tzinfo=new_york))
