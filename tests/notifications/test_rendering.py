"""What messages say: no PHI, the patient's own time, one SMS segment each. Rendered the way the
send task renders them: from its one read of the row (services/sending.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications import sql
from notifications.models import Notification
from notifications.services import sending
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db

# GSM 03.38 basic character set: what fits 160 characters in one SMS segment.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
CANARY = "CANARY-PHI-migraine-with-aura-topiramate"


@pytest.fixture
def realistic(settings):
    """Long but real values: the longest parts a message will carry."""
    settings.PUBLIC_BASE_URL = "https://visits.neuroclinic.com"
    settings.CLINIC_NAME = "Neuro Clinic"
    specialist = SpecialistFactory(user=UserFactory(role="specialist", last_name="Okafor-Whitfield"))
    patient = PatientFactory(timezone=ZoneInfo("America/Los_Angeles"))
    start = dt.datetime.now(dt.UTC).replace(microsecond=0, second=0, minute=30) + dt.timedelta(days=3)
    slot = SlotFactory(specialist=specialist, start=start)
    booking = bookings.booking_create(user=patient.user, slot_id=slot.pk, reason=CANARY).booking
    bookings.booking_cancel(booking=booking, by=specialist.user)
    return booking


def every_notification(booking):
    kinds = {n.kind for n in Notification.objects.filter(booking=booking)}
    assert kinds == {"booking_confirmed", "reminder", "booking_cancelled"}
    for channel in ("sms", "email"):
        Notification.objects.create(
            booking=booking,
            subject=f"booking:{booking.pk}",
            kind="booking_rescheduled",
            channel=channel,
            send_at=booking.created_at,
        )
    return list(Notification.objects.filter(booking=booking))


def render(notification):
    return sending.notification_message(sql.to_send(notification.pk))


def test_no_message_carries_phi(realistic):
    for notification in every_notification(realistic):
        message = render(notification)
        for part in (message.subject, message.text, message.html):
            assert CANARY not in part
            assert "chronic" not in part.lower() and "pain" not in part.lower()  # no specialty either


def test_every_sms_fits_one_gsm7_segment(realistic):
    for notification in every_notification(realistic):
        if notification.channel != "sms":
            continue
        text = render(notification).text
        assert set(text) <= GSM7, text
        assert len(text) <= 160, f"{notification.kind}: {len(text)} characters: {text}"
        assert text.endswith("Reply STOP to opt out")


def test_messages_show_the_time_in_the_patients_timezone_and_the_join_link(realistic):
    sms = render(Notification.objects.get(booking=realistic, kind="booking_confirmed", channel="sms")).text
    local = realistic.slot.start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{local.hour % 12 or 12}:30 {local:%p %Z}" in sms
    assert "Dr. Okafor-Whitfield" in sms
    assert "https://visits.neuroclinic.com/v/" in sms


def test_emails_link_the_patients_pages_and_those_pages_exist(settings):
    from django.urls import resolve

    from notifications.rendering import message_context, render_message

    settings.PUBLIC_BASE_URL = "https://clinic.example"
    data = message_context(
        start=dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC),
        patient_timezone=ZoneInfo("America/New_York"),
        doctor_last_name="Okafor",
        join_url="https://clinic.example/v/token",
    )
    confirmed = render_message(channel="email", kind="booking_confirmed", data=data)
    cancelled = render_message(channel="email", kind="booking_cancelled", data=data)

    assert "https://clinic.example/visits/" in confirmed.text and "/visits/" in confirmed.html
    assert "https://clinic.example/find/" in cancelled.text and "/find/" in cancelled.html
    assert resolve("/visits/").url_name and resolve("/find/").url_name  # pages, not 404s
