"""Messages that work both ways, end to end: a signed inbound text acted on in the web process,
the answer sent by a real worker through the real Twilio SDK (Twilio replaced at its HTTP
boundary), over the real Redis broker and PostgreSQL; and the same way a specialist's alert, a
waitlist offer, and a reminder moved out of the night in the patient's language."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications import tasks
from notifications.models import Notification
from notifications.services.dispatch import notification_dispatch_due
from scheduling import offers
from scheduling.models import Booking, Offer
from scheduling.services import bookings
from scheduling.services.offers import offer_claim
from tests.factories import (
    BookingFactory,
    PatientFactory,
    SlotFactory,
    SpecialistFactory,
    WaitlistEntryFactory,
)
from tests.integration.processes import SHARED_FAKE, wait_for
from tests.twilio_fake import AUTH_TOKEN

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
INBOUND = "/api/v1/webhooks/twilio/inbound/"
PHONE = "+12125550123"  # PatientFactory's
Status = Notification.Status


def text_in(client, body: str, sid: str) -> None:
    params = {"MessageSid": sid, "From": PHONE, "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(settings.PUBLIC_BASE_URL + INBOUND, params)
    response = client.post(
        INBOUND,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 200


def sent(row: Notification) -> Notification:
    def done() -> bool:
        row.refresh_from_db()
        return row.status == Status.SENT

    wait_for(done, f"notification {row.pk} to be sent")
    return row


def test_a_reply_1_confirms_attendance_and_its_answer_goes_out_once(pipeline, anon, settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    pipeline.start_worker(SMS_BACKEND=SHARED_FAKE)
    patient = PatientFactory(email_opt_in=False)
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory().pk, reason="CANARY").booking

    text_in(anon, "1", "SM" + "5" * 32)
    text_in(anon, "1", "SM" + "5" * 32)  # Twilio retried the webhook: one answer all the same
    notification_dispatch_due(enqueue=tasks.enqueue)

    answer = sent(Notification.objects.get(kind=Notification.Kind.REPLY))
    booking.refresh_from_db()
    assert booking.attendance_confirmed_at is not None
    bodies = [r["data"]["Body"] for r in pipeline.twilio_creates() if r["data"]["To"] == PHONE]
    confirmed = [body for body in bodies if "is confirmed" in body]
    assert len(confirmed) == 1 and "CANARY" not in confirmed[0]
    assert answer.provider_id.startswith("SM")


def test_a_specialists_alert_goes_out_through_a_worker(pipeline):
    pipeline.start_worker(SMS_BACKEND=SHARED_FAKE)
    specialist = SpecialistFactory(sms_alerts=True, email_alerts=False, phone="+13125550142")
    start = (timezone.now() + dt.timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    patient = PatientFactory(sms_opt_in=False, email_opt_in=False)
    bookings.booking_create(user=patient.user, slot_id=SlotFactory(specialist=specialist, start=start).pk)

    notification_dispatch_due(enqueue=tasks.enqueue)

    alert = sent(Notification.objects.get(audience="specialist"))
    (request,) = [r for r in pipeline.twilio_creates() if r["data"]["To"] == "+13125550142"]
    assert "a new visit is booked with you" in request["data"]["Body"]
    assert alert.booking.status == Booking.Status.CONFIRMED


def test_a_cancelled_visit_is_offered_to_the_waitlist_by_a_worker_and_claimed(pipeline):
    pipeline.start_worker(SMS_BACKEND=SHARED_FAKE)
    waiting = WaitlistEntryFactory(patient=PatientFactory(phone="+12125550188", email_opt_in=False))
    booking = BookingFactory()
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    offer = Offer.objects.get(slot=booking.slot, status=Offer.Status.OPEN)

    notification_dispatch_due(enqueue=tasks.enqueue)

    sent(Notification.objects.get(subject=f"offer:{offer.pk}", channel="sms"))
    (request,) = [r for r in pipeline.twilio_creates() if r["data"]["To"] == "+12125550188"]
    assert offers.offer_url(offer) in request["data"]["Body"]
    claimed = offer_claim(token=offers.offer_token(offer), reason="")
    assert (claimed.patient, claimed.slot) == (waiting.patient, booking.slot)


def test_a_spanish_patients_reminder_moved_out_of_the_night_goes_out_in_spanish(
    pipeline, settings, time_machine
):
    """Quiet hours decide when a reminder is written for; a worker then sends it, in Spanish."""
    settings.QUIET_HOURS = (dt.time(21), dt.time(8))
    new_york = ZoneInfo("America/New_York")
    pipeline.start_worker(SMS_BACKEND=SHARED_FAKE)
    patient = PatientFactory(language="es", email_opt_in=False, timezone=new_york)
    visit = (
        (timezone.now() + dt.timedelta(days=3))
        .astimezone(new_york)
        .replace(hour=7, minute=30, second=0, microsecond=0)
    )
    booking = bookings.booking_create(user=patient.user, slot_id=SlotFactory(start=visit).pk).booking
    hour_before = Notification.objects.get(booking=booking, kind="reminder", offset=3600, channel="sms")
    # 06:30 is in the night and 08:00 after the visit: 21:00 the evening before.
    assert hour_before.send_at.astimezone(new_york).time() == dt.time(21)

    # Due then: the dispatcher claims it as of that moment (the worker, with QUIET_HOURS off, sends
    # it at once whatever its own clock says).
    notification_dispatch_due(enqueue=tasks.enqueue, now=hour_before.send_at + dt.timedelta(seconds=1))
    sent(hour_before)

    bodies = [r["data"]["Body"] for r in pipeline.twilio_creates() if r["data"]["To"] == str(patient.phone)]
    assert any("Responda 1 si asiste, 2 para cambiar" in body for body in bodies)
