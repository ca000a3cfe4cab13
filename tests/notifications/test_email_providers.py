"""Email through a provider's HTTP API (Anymail), replaced only at the HTTP boundary: Anymail's
real backend builds the real request, and its answers decide the row's status."""

import json

import pytest
import requests
from django.core import mail

from notifications.models import Notification
from notifications.services import sending
from tests.notifications.test_sending import booking, queued  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
Status = Notification.Status


@pytest.fixture
def postmark(settings, monkeypatch):
    """Postmark as the email backend; its API answers what `postmark.answer` says."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token-for-tests"}

    class Postmark:
        sent: list[requests.PreparedRequest] = []
        answer: tuple[int, object] = (200, {})

    def send(session, prepared, **kwargs):
        Postmark.sent.append(prepared)
        status, body = Postmark.answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = prepared.url, prepared
        return response

    monkeypatch.setattr(requests.Session, "send", send)
    return Postmark


def test_the_provider_gets_the_message_and_its_id_is_kept(postmark, booking):  # noqa: F811
    row = queued(booking, channel="email")
    to = booking.patient.user.email
    postmark.answer = (200, {"To": to, "MessageID": "pm-0001", "ErrorCode": 0, "Message": "OK"})
    assert sending.notification_send(notification_id=row.pk) == Status.SENT
    (request,) = postmark.sent
    assert request.url == "https://api.postmarkapp.com/email"
    assert request.headers["X-Postmark-Server-Token"] == "server-token-for-tests"
    sent = json.loads(request.body)
    assert sent["To"] == to and sent["Subject"] and "/v/" in sent["TextBody"]
    assert [a["Name"] for a in sent["Attachments"]] == ["visit.ics"]
    row.refresh_from_db()
    assert row.provider_id == "pm-0001"
    assert mail.outbox == []


@pytest.mark.parametrize(
    "error",
    [
        {"ErrorCode": 300, "Message": "Invalid 'To' address: '{to}'."},
        {
            "ErrorCode": 406,
            "Message": "You tried to send to a recipient that has been marked as inactive.\n"
            "Found inactive addresses: {to}.\n"
            "Inactive recipients are ones that have generated a hard bounce or a spam complaint.",
        },
    ],
    ids=["invalid", "inactive"],
)
def test_an_address_the_provider_refuses_fails_at_once_without_the_address(postmark, booking, error):  # noqa: F811
    row = queued(booking, channel="email")
    to = booking.patient.user.email
    postmark.answer = (422, {**error, "Message": error["Message"].format(to=to)})
    assert sending.notification_send(notification_id=row.pk) == Status.FAILED
    row.refresh_from_db()
    assert row.error_code == "refused"
    assert to not in row.last_error


def test_a_message_the_provider_refuses_fails_at_once(postmark, booking):  # noqa: F811
    row = queued(booking, channel="email")
    postmark.answer = (422, {"ErrorCode": 300, "Message": "Invalid 'From' address: 'visits@example.com'."})
    assert sending.notification_send(notification_id=row.pk) == Status.FAILED
    row.refresh_from_db()
    assert row.error_code == "http_422"


@pytest.mark.parametrize("status", [500, 429, 401])
def test_a_provider_outage_rate_limit_or_key_being_fixed_is_retried(postmark, booking, status):  # noqa: F811
    row = queued(booking, channel="email")
    postmark.answer = (status, {"ErrorCode": 0 if status == 500 else 10, "Message": "try later"})
    assert sending.notification_send(notification_id=row.pk) == Status.PENDING
    row.refresh_from_db()
    assert row.error_code == f"http_{status}" and row.attempts == 1
