"""Twilio's webhooks: signed status callbacks and inbound STOP / START."""

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from notifications.models import Notification
from notifications.services import dispatch, sending
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory
from tests.twilio_fake import AUTH_TOKEN

pytestmark = pytest.mark.django_db
Status = Notification.Status
STATUS_URL = "/api/v1/webhooks/twilio/status/"
INBOUND_URL = "/api/v1/webhooks/twilio/inbound/"
FORM = "application/x-www-form-urlencoded"  # how Twilio posts


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    # Behind a proxy: the signature covers the public URL, not the one Django sees.
    settings.PUBLIC_BASE_URL = "https://visits.neuroclinic.example"
    settings.SMS_BACKEND = "locmem"


def post(client, path, params, signature=None):
    """POST as Twilio does: a form, signed over the public URL and the parameters."""
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            f"https://visits.neuroclinic.example{path}", params
        )
    return client.post(path, urlencode(params), content_type=FORM, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def sent():
    booking = bookings.booking_create(user=PatientFactory().user, slot_id=SlotFactory().pk).booking
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    row = Notification.objects.get(booking=booking, kind="booking_confirmed", channel="sms")
    sending.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == Status.SENT
    return row


def callback(client, row, status, **extra):
    return post(client, STATUS_URL, {"MessageSid": row.provider_id, "MessageStatus": status, **extra})


def test_a_delivered_callback_marks_the_message_delivered(anon, sent):
    assert callback(anon, sent, "delivered").status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED
    assert sent.delivered_at is not None


def test_callbacks_in_reverse_order_end_delivered(anon, sent):
    for status in ("delivered", "sent", "sending", "queued"):
        assert callback(anon, sent, status).status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED


def test_undelivered_records_the_error_code(anon, sent):
    callback(anon, sent, "undelivered", ErrorCode="30005")
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == (Status.UNDELIVERED, "30005")


def test_a_failed_callback_records_when_it_failed(anon, sent):
    callback(anon, sent, "failed", ErrorCode="30008")
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == (Status.FAILED, "30008")
    assert sent.failed_at is not None


def test_an_unknown_message_sid_changes_nothing(anon, sent):
    response = post(anon, STATUS_URL, {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered"})
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.SENT


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_a_missing_or_wrong_signature_answers_403_in_the_error_shape(anon, sent, signature):
    params = {"MessageSid": sent.provider_id, "MessageStatus": "delivered"}
    response = post(anon, STATUS_URL, params, signature)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    sent.refresh_from_db()
    assert sent.status == Status.SENT


def test_a_signature_for_other_parameters_is_refused(anon, sent):
    signed_for = {"MessageSid": sent.provider_id, "MessageStatus": "failed"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"https://visits.neuroclinic.example{STATUS_URL}", signed_for
    )
    response = post(
        anon, STATUS_URL, {"MessageSid": sent.provider_id, "MessageStatus": "delivered"}, signature
    )
    assert response.status_code == 403


@pytest.mark.parametrize("word", ["STOP", "stop", " Unsubscribe ", "QUIT"])
def test_stop_family_opts_the_sender_out_and_skips_waiting_sms(anon, word):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    response = post(anon, INBOUND_URL, {"From": "+12125550199", "Body": word})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    patient.refresh_from_db()
    assert patient.sms_opt_in is False
    statuses = set(
        Notification.objects.filter(booking=booking, channel="sms").values_list("status", flat=True)
    )
    assert statuses == {Status.SKIPPED}
    assert set(
        Notification.objects.filter(booking=booking, channel="email").values_list("status", flat=True)
    ) == {Status.PENDING}


@pytest.mark.parametrize("word", ["START", "yes", "UNSTOP"])
def test_start_family_opts_back_in(anon, word):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=False)
    post(anon, INBOUND_URL, {"From": "+12125550199", "Body": word})
    patient.refresh_from_db()
    assert patient.sms_opt_in is True


def test_other_inbound_text_changes_nothing(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    assert (
        post(anon, INBOUND_URL, {"From": "+12125550199", "Body": "stop the headaches please"}).status_code
        == 200
    )
    patient.refresh_from_db()
    assert patient.sms_opt_in is True


def test_inbound_with_a_bad_signature_answers_403(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    response = post(anon, INBOUND_URL, {"From": "+12125550199", "Body": "STOP"}, "x")
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.sms_opt_in is True
