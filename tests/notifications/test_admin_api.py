"""`admin/notifications/`: the list and its filters, retry and cancel and their state rules, and
who may call them. The stats are in test_stats.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from notifications.models import Notification
from tests.conftest import client_for
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status
URL = "/api/v1/admin/notifications/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_an_admin_sees_every_field_of_a_notification_with_the_recipient_masked(admin_client):
    sms = NotificationFactory(recipient="+12125550123", status=Status.FAILED, last_error="boom", attempts=3)
    email = NotificationFactory(channel=Notification.Channel.EMAIL, recipient="pat.doe@example.org")

    rows = {row["id"]: row for row in admin_client.get(URL).json()["results"]}

    assert set(rows[sms.pk]) == {
        "id", "booking", "subject", "audience", "kind", "offset", "channel", "recipient", "status", "attempts",
        "last_error", "provider_id", "send_at", "queued_at", "sent_at", "delivered_at", "created_at",
    }  # fmt: skip
    assert rows[sms.pk]["recipient"] == "********0123"
    assert rows[sms.pk]["booking"] == sms.booking_id
    assert (rows[sms.pk]["status"], rows[sms.pk]["attempts"], rows[sms.pk]["last_error"]) == (
        "failed",
        3,
        "boom",
    )
    assert rows[email.pk]["recipient"] == "***@example.org"
    assert "pat.doe" not in str(rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", ["failed"]),
        ("channel=email", ["email"]),
        ("kind=reminder", ["reminder"]),
    ],
)
def test_the_list_filters_by_status_channel_and_kind(admin_client, query, expected):
    NotificationFactory(status=Status.FAILED)
    NotificationFactory(channel=Notification.Channel.EMAIL, recipient="a@example.org")
    NotificationFactory(kind=Notification.Kind.REMINDER, offset=3600)
    NotificationFactory()

    rows = admin_client.get(f"{URL}?{query}").json()["results"]

    field = query.split("=")[0]
    assert [row[field] for row in rows] == expected


def test_the_list_filters_by_booking(admin_client):
    mine = NotificationFactory()
    NotificationFactory()

    assert ids(admin_client.get(f"{URL}?booking={mine.booking_id}")) == [mine.pk]


def test_send_after_is_inclusive_and_send_before_exclusive(admin_client):
    now = timezone.now().replace(microsecond=0)
    at = {hours: NotificationFactory(send_at=now + dt.timedelta(hours=hours)).pk for hours in (0, 1, 2)}
    window = {"send_after": now.isoformat(), "send_before": (now + dt.timedelta(hours=2)).isoformat()}

    assert ids(admin_client.get(URL, window)) == [at[1], at[0]]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [(None, ["late", "early"]), ("-send_at", ["late", "early"]), ("send_at", ["early", "late"])],
)
def test_the_list_is_ordered_by_send_at_newest_first_by_default(admin_client, ordering, expected):
    now = timezone.now()
    made = {
        "late": NotificationFactory(send_at=now + dt.timedelta(hours=5)).pk,
        "early": NotificationFactory(send_at=now).pk,
    }
    query = {"ordering": ordering} if ordering else {}

    assert ids(admin_client.get(URL, query)) == [made[name] for name in expected]


def test_the_list_can_be_ordered_by_creation(admin_client):
    first = NotificationFactory(send_at=timezone.now() + dt.timedelta(hours=5))
    second = NotificationFactory(send_at=timezone.now())

    assert ids(admin_client.get(URL, {"ordering": "created_at"})) == [first.pk, second.pk]
    assert ids(admin_client.get(URL, {"ordering": "-created_at"})) == [second.pk, first.pk]


@pytest.mark.parametrize(
    "query",
    ["ordering=recipient", "status=lost", "channel=fax", "booking=abc", "send_after=yesterday", "booking=0"],
)
def test_a_bad_filter_answers_400_naming_it(admin_client, query):
    response = admin_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [query.split("=")[0]]


@pytest.mark.parametrize("status", [Status.FAILED, Status.CANCELLED])
def test_retry_puts_a_failed_or_cancelled_message_back_due_now_with_fresh_attempts(
    admin_user, admin_client, status
):
    notification = NotificationFactory(
        status=status, attempts=5, send_at=timezone.now() - dt.timedelta(days=1), error_code="30003"
    )

    response = admin_client.post(f"{URL}{notification.pk}/retry/")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert notification.attempts == 0
    assert timezone.now() - notification.send_at < dt.timedelta(seconds=5)
    event = AuditEvent.objects.get(object_type="notification", object_id=notification.pk)
    assert (event.actor, event.action) == (admin_user, "notification.retried")
    assert (event.before["status"], event.after["status"]) == (status, "pending")
    assert (event.before["attempts"], event.after["attempts"]) == (5, 0)


def test_retry_clears_the_previous_error_and_the_audit_event_keeps_it(admin_client):
    notification = NotificationFactory(
        status=Status.FAILED,
        error_code="21211",
        last_error="The 'To' number +12125550123 is not a valid phone number.",
    )

    response = admin_client.post(f"{URL}{notification.pk}/retry/")

    assert (response.json()["last_error"], response.json()["status"]) == ("", "pending")
    notification.refresh_from_db()
    assert (notification.error_code, notification.last_error) == ("", "")
    event = AuditEvent.objects.get(object_type="notification", object_id=notification.pk)
    assert event.before["error_code"] == "21211"
    assert event.before["last_error"] == "The 'To' number ********0123 is not a valid phone number."
    assert (event.after["error_code"], event.after["last_error"]) == ("", "")


@pytest.mark.parametrize("status", [Status.PENDING, Status.QUEUED])
def test_cancel_stops_a_pending_or_queued_message(admin_user, admin_client, status):
    notification = NotificationFactory(status=status)

    response = admin_client.post(f"{URL}{notification.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    notification.refresh_from_db()
    assert notification.status == Status.CANCELLED
    event = AuditEvent.objects.get(object_type="notification", object_id=notification.pk)
    assert (event.actor, event.action) == (admin_user, "notification.cancelled")
    assert (event.before["status"], event.after["status"]) == (status, "cancelled")


@pytest.mark.parametrize(
    ("action", "status"),
    [
        *(("retry", s) for s in Status if s not in (Status.FAILED, Status.CANCELLED)),
        *(("cancel", s) for s in Status if s not in (Status.PENDING, Status.QUEUED)),
    ],
)
def test_retry_and_cancel_from_any_other_status_answer_409_and_change_nothing(admin_client, action, status):
    notification = NotificationFactory(status=status, attempts=2)

    response = admin_client.post(f"{URL}{notification.pk}/{action}/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (status, 2)
    assert not AuditEvent.objects.filter(object_type="notification").exists()


@pytest.mark.parametrize("pk", ["999999", "abc", str(10**30)])
@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_retry_and_cancel_of_an_unknown_notification_answer_404(admin_client, action, pk):
    response = admin_client.post(f"{URL}{pk}/{action}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


ENDPOINTS = [
    ("get", URL),
    ("get", URL + "stats/"),
    ("post", URL + "{id}/retry/"),
    ("post", URL + "{id}/cancel/"),
    ("get", "/api/v1/admin/audit/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401(anon, method, path):
    notification = NotificationFactory(status=Status.FAILED)

    response = getattr(anon, method)(path.format(id=notification.pk))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


@pytest.mark.parametrize("role", ["patient", "specialist"])
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_patients_and_specialists_get_403(method, path, role):
    notification = NotificationFactory(status=Status.FAILED)
    # Even the patient the message is for, and the specialist of its visit.
    user = (
        notification.booking.patient.user if role == "patient" else notification.booking.slot.specialist.user
    )

    response = getattr(client_for(user), method)(path.format(id=notification.pk))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


def test_a_providers_error_is_shown_with_the_number_it_names_masked(admin_client):
    NotificationFactory(
        status=Status.FAILED,
        recipient="+12125550123",
        last_error="The 'To' number +12125550123 is not a valid phone number.",
    )

    [row] = admin_client.get(URL).json()["results"]

    assert row["last_error"] == "The 'To' number ********0123 is not a valid phone number."


def test_retry_sends_to_the_patients_corrected_number(admin_client):
    notification = NotificationFactory(status=Status.FAILED, recipient="+15005550001")
    patient = notification.booking.patient
    patient.phone, patient.sms_opt_in = "+12125550177", True
    patient.save()

    admin_client.post(f"{URL}{notification.pk}/retry/")

    notification.refresh_from_db()
    assert (notification.status, notification.recipient) == (Status.PENDING, "+12125550177")


def test_retrying_a_message_the_provider_failed_makes_it_a_new_message(admin_client):
    sent_at = timezone.now() - dt.timedelta(hours=2)
    # Twilio took it, then its status callback said it failed.
    notification = NotificationFactory(
        status=Status.FAILED, provider_id="SM" + "9" * 32, sending_at=sent_at, sent_at=sent_at
    )

    admin_client.post(f"{URL}{notification.pk}/retry/")

    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert (notification.provider_id, notification.sending_at, notification.sent_at) == ("", None, None)


def test_retrying_a_message_that_may_have_left_keeps_its_attempt_to_ask_the_provider(admin_client):
    began = timezone.now() - dt.timedelta(hours=2)
    notification = NotificationFactory(status=Status.FAILED, sending_at=began, error_code="network")

    admin_client.post(f"{URL}{notification.pk}/retry/")

    notification.refresh_from_db()
    assert (notification.status, notification.sending_at) == (Status.PENDING, began)
