"""Twilio's webhooks: signed status callbacks and inbound STOP / START."""

import datetime as dt
import itertools
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from clinic.services import profile_update
from core.models import AuditEvent
from notifications import sql
from notifications.models import Notification, WebhookReceipt
from notifications.services import dispatch, sending
from notifications.services.consent import phone_blocked
from notifications.tasks import webhook_receipts_purge_task
from scheduling.services import bookings
from tests.factories import NotificationFactory, PatientFactory, SlotFactory
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


_inbound_sids = itertools.count(1)


def inbound(client, body, sender="+12125550199", sid=None):
    """An inbound text as Twilio posts it, each with a MessageSid of its own unless given."""
    sid = sid or f"SM{next(_inbound_sids):032d}"
    return post(client, INBOUND_URL, {"MessageSid": sid, "From": sender, "Body": body})


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
    response = inbound(anon, word)
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
def test_start_family_after_a_stop_opts_back_in(anon, word):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    inbound(anon, "STOP")
    inbound(anon, word)
    patient.refresh_from_db()
    assert patient.sms_opt_in is True
    assert not phone_blocked("+12125550199")


def test_start_from_a_number_not_blocked_leaves_a_profile_opt_out(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    profile_update(user=patient.user, changes={"sms_opt_in": False})

    inbound(anon, "START")

    patient.refresh_from_db()
    assert patient.sms_opt_in is False
    assert sms_statuses(booking) == [Status.SKIPPED, Status.SKIPPED]


def test_other_inbound_text_changes_nothing(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    assert inbound(anon, "stop the headaches please").status_code == 200
    patient.refresh_from_db()
    assert patient.sms_opt_in is True


def test_inbound_with_a_bad_signature_answers_403(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    params = {"MessageSid": "SM" + "1" * 32, "From": "+12125550199", "Body": "STOP"}
    response = post(anon, INBOUND_URL, params, "x")
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.sms_opt_in is True


def test_inbound_without_a_message_sid_answers_400_in_the_error_shape(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    response = post(anon, INBOUND_URL, {"From": "+12125550199", "Body": "STOP"})
    assert response.status_code == 400
    assert response.json()["fields"].keys() == {"MessageSid"}
    patient.refresh_from_db()
    assert patient.sms_opt_in is True


# Replays: Twilio's signature has no timestamp, so a captured request passes it again.


def test_a_replayed_stop_acts_once(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    stop = "SM" + "5" * 32
    assert inbound(anon, "STOP", sid=stop).status_code == 200
    patient.refresh_from_db()
    assert patient.sms_opt_in is False
    audit_events = AuditEvent.objects.count()

    response = inbound(anon, "STOP", sid=stop)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert AuditEvent.objects.count() == audit_events
    assert WebhookReceipt.objects.filter(message_sid=stop).count() == 1


def test_a_stop_replayed_after_the_patient_said_start_leaves_them_opted_in(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    stop = "SM" + "5" * 32
    inbound(anon, "STOP", sid=stop)
    inbound(anon, "START")
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking

    assert inbound(anon, "STOP", sid=stop).status_code == 200

    patient.refresh_from_db()
    assert patient.sms_opt_in is True
    assert set(
        Notification.objects.filter(booking=booking, channel="sms").values_list("status", flat=True)
    ) == {Status.PENDING}


def test_a_start_replayed_after_the_patient_said_stop_leaves_them_opted_out(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=False)
    start = "SM" + "6" * 32
    inbound(anon, "START", sid=start)
    inbound(anon, "STOP")

    assert inbound(anon, "START", sid=start).status_code == 200

    patient.refresh_from_db()
    assert patient.sms_opt_in is False


def test_each_status_of_a_message_counts_once(anon, sent):
    for status in ("queued", "sent", "delivered", "queued", "sent", "delivered"):
        assert callback(anon, sent, status).status_code == 200
    receipts = WebhookReceipt.objects.filter(message_sid=sent.provider_id)
    assert sorted(receipts.values_list("event", flat=True)) == ["delivered", "queued", "sent"]
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED


def test_a_replay_after_a_later_status_does_not_move_the_message_back(anon, sent):
    callback(anon, sent, "sent")
    callback(anon, sent, "delivered")
    delivered_at = Notification.objects.get(pk=sent.pk).delivered_at

    assert callback(anon, sent, "sent").status_code == 200

    sent.refresh_from_db()
    assert (sent.status, sent.delivered_at) == (Status.DELIVERED, delivered_at)


def test_the_purge_drops_old_status_receipts_and_keeps_inbound_ones(anon, sent):
    callback(anon, sent, "delivered")
    inbound(anon, "STOP", sid="SM" + "5" * 32)
    WebhookReceipt.objects.update(received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    callback(anon, sent, "failed")  # recent: kept

    assert webhook_receipts_purge_task() == 1

    assert set(WebhookReceipt.objects.values_list("event", flat=True)) == {"inbound", "failed"}


def test_every_inbound_message_leaves_its_receipt_keyword_or_not(anon):
    inbound(anon, "what time is my visit?", sid="SM" + "7" * 32)
    assert WebhookReceipt.objects.filter(message_sid="SM" + "7" * 32, event="inbound").exists()


def sms_statuses(booking, kind="reminder"):
    rows = Notification.objects.filter(booking=booking, channel="sms", kind=kind)
    return sorted(rows.values_list("status", flat=True))


def test_a_number_that_replied_stop_gets_nothing_though_the_profile_opts_back_in(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    inbound(anon, "STOP")
    # A profile switch cannot lift Twilio's block: the reminders come back, and are not sent.
    profile_update(user=patient.user, changes={"sms_opt_in": True})
    assert sms_statuses(booking) == [Status.PENDING, Status.PENDING]

    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None, now=booking.slot.start)
    for row in Notification.objects.filter(booking=booking, channel="sms", kind="reminder"):
        sending.notification_send(notification_id=row.pk)

    assert sms_statuses(booking) == [Status.SKIPPED, Status.SKIPPED]
    assert phone_blocked("+12125550199")


def test_start_brings_back_the_reminders_still_ahead_and_writes_those_of_visits_booked_meanwhile(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    before = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    inbound(anon, "STOP")
    meanwhile = bookings.booking_create(
        user=patient.user, slot_id=SlotFactory(start=before.slot.start + dt.timedelta(days=1)).pk
    ).booking
    assert sms_statuses(meanwhile) == []

    inbound(anon, "START")

    assert sms_statuses(before) == [Status.PENDING, Status.PENDING]
    assert sms_statuses(meanwhile) == [Status.PENDING, Status.PENDING]
    # What was said once stays said: the confirmation skipped during the opt-out is not sent late.
    assert sms_statuses(before, kind="booking_confirmed") == [Status.SKIPPED]
    assert not phone_blocked("+12125550199")


def test_start_does_not_bring_back_a_reminder_whose_time_has_passed(anon, time_machine):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    inbound(anon, "STOP")
    time_machine.move_to(booking.slot.start - dt.timedelta(hours=2))

    inbound(anon, "START")

    rows = Notification.objects.filter(booking=booking, channel="sms", kind="reminder")
    assert {(row.offset, row.status) for row in rows} == {(86400, Status.SKIPPED), (3600, Status.PENDING)}


def test_stop_skips_waiting_messages_to_that_number_whoever_they_are_for(anon):
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk).booking
    alert = NotificationFactory(
        booking=booking, audience="specialist", recipient="+12125550199", kind="booking_confirmed"
    )

    inbound(anon, "STOP")

    alert.refresh_from_db()
    assert alert.status == Status.SKIPPED


def replies(sender="+12125550199"):
    return list(Notification.objects.filter(kind="reply", recipient=sender).order_by("id"))


def reply_text(row):
    return sending.notification_message(sql.to_send(row.pk)).text


@pytest.fixture
def upcoming():
    patient = PatientFactory(phone="+12125550199", sms_opt_in=True)
    return bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk, reason="CANARY aura").booking


@pytest.mark.parametrize("word", ["1", " c ", "C"])
def test_1_or_c_confirms_attendance_of_the_next_visit_and_answers(anon, upcoming, word):
    inbound(anon, word, sid="SM" + "7" * 32)

    upcoming.refresh_from_db()
    assert upcoming.attendance_confirmed_at is not None
    (answer,) = replies()
    assert (answer.subject, answer.variant, answer.booking_id) == (
        "inbound:SM" + "7" * 32,
        "attendance_confirmed",
        upcoming.pk,
    )
    assert "is confirmed" in reply_text(answer)


def test_a_replayed_1_answers_once(anon, upcoming):
    inbound(anon, "1", sid="SM" + "8" * 32)
    inbound(anon, "1", sid="SM" + "8" * 32)

    assert len(replies()) == 1


def test_2_answers_with_a_link_to_the_visit_page(anon, upcoming):
    inbound(anon, "2")

    (answer,) = replies()
    assert answer.variant == "manage_link"
    assert f"https://visits.neuroclinic.example/visits/{upcoming.pk}/" in reply_text(answer)
    upcoming.refresh_from_db()
    assert upcoming.status == "confirmed"


def test_2_inside_the_cancellation_window_answers_with_the_clinic_phone(
    anon, upcoming, settings, time_machine
):
    settings.CLINIC_PHONE = "+1 212 555 0100"
    time_machine.move_to(upcoming.slot.start - dt.timedelta(hours=3))

    inbound(anon, "R")

    (answer,) = replies()
    assert answer.variant == "manage_call"
    text = reply_text(answer)
    assert "+1 212 555 0100" in text and "/visits/" not in text


def test_anything_else_gets_the_help_once_per_visit(anon, upcoming):
    inbound(anon, "what time is it again?")
    inbound(anon, "hello??")

    (answer,) = replies()
    assert (answer.subject, answer.variant) == (f"booking:{upcoming.pk}", "help")
    assert "reply 1 to confirm" in reply_text(answer)


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_and_info_are_left_to_twilio(anon, upcoming, word):
    inbound(anon, word)

    assert replies() == []


def test_a_number_no_patient_has_gets_no_answer(anon, upcoming):
    for word in ("1", "2", "hello"):
        inbound(anon, word, sender="+13105550000")

    assert replies("+13105550000") == []
    upcoming.refresh_from_db()
    assert upcoming.attendance_confirmed_at is None


def test_a_patient_with_no_visit_ahead_is_told_so(anon):
    PatientFactory(phone="+12125550199", sms_opt_in=True)

    inbound(anon, "1")

    (answer,) = replies()
    assert answer.variant == "no_visit" and answer.booking_id is None
    assert "no upcoming visit" in reply_text(answer)


def test_cancel_is_an_opt_out_never_a_cancellation(anon, upcoming):
    inbound(anon, "CANCEL")

    upcoming.refresh_from_db()
    assert upcoming.status == "confirmed"
    assert phone_blocked("+12125550199")
    assert replies() == []


def test_an_answer_goes_out_through_the_pipeline(anon, upcoming, settings, monkeypatch):
    from notifications.backends.sms import LocmemSmsBackend

    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    inbound(anon, "1")
    (answer,) = replies()
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)

    assert sending.notification_send(notification_id=answer.pk) == Status.SENT

    (sent_sms,) = [m for m in LocmemSmsBackend.outbox if "is confirmed" in m.body]
    assert sent_sms.to == "+12125550199"
    assert "CANARY" not in sent_sms.body


def test_an_answer_goes_out_to_a_patient_whose_texts_are_off(anon, upcoming, monkeypatch):
    from notifications.backends.sms import LocmemSmsBackend

    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    profile_update(user=upcoming.patient.user, changes={"sms_opt_in": False})  # no STOP: they text us
    inbound(anon, "1")
    (answer,) = replies()
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)

    assert sending.notification_send(notification_id=answer.pk) == Status.SENT
    assert [m.to for m in LocmemSmsBackend.outbox] == ["+12125550199"]
