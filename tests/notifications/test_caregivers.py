"""Caregivers' messages: the patient's confirmations, reminders, moves and cancellations, copied
to each active caregiver on each address that consented, with nothing clinical in them; consent
by a signed YES, STOP by a signed STOP; the send re-checks a caregiver who left meanwhile."""

import datetime as dt
import itertools
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from twilio.request_validator import RequestValidator

from clinic import caregivers
from clinic.models import Caregiver
from clinic.services import profile_update
from notifications import sql
from notifications.backends.sms import LocmemSmsBackend
from notifications.models import Notification
from notifications.services import dispatch, sending
from scheduling import video
from scheduling.services import bookings
from tests.factories import CaregiverFactory, PatientFactory, SlotFactory, SpecialistFactory, UserFactory
from tests.twilio_fake import AUTH_TOKEN

pytestmark = pytest.mark.django_db
Status = Notification.Status
CANARY = "CANARY-PHI-migraine-with-aura-topiramate"
PUBLIC = "https://visits.neuroclinic.com"
INBOUND_URL = "/api/v1/webhooks/twilio/inbound/"
# GSM 03.38 basic character set: what fits 160 characters in one SMS segment.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.fixture(autouse=True)
def backends(settings, monkeypatch):
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.SMS_BACKEND = "locmem"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    return LocmemSmsBackend.outbox


@pytest.fixture
def patient():
    return PatientFactory(
        user__first_name="Maximiliana-Josefina",
        phone="+12125550123",
        timezone=ZoneInfo("America/Los_Angeles"),
    )


def book(patient, days=3):
    start = (timezone.now() + dt.timedelta(days=days)).replace(minute=30, second=0, microsecond=0)
    specialist = SpecialistFactory(user=UserFactory(role="specialist", last_name="Okafor-Whitfield"))
    slot = SlotFactory(specialist=specialist, start=start)
    return bookings.booking_create(user=patient.user, slot_id=slot.pk, reason=CANARY).booking


def rows(caregiver, booking=None):
    found = Notification.objects.filter(audience=f"caregiver:{caregiver.pk}")
    if booking is not None:
        found = found.filter(subject=f"booking:{booking.pk}")
    return sorted((n.kind, n.offset, n.channel) for n in found)


def render(notification):
    return sending.notification_message(sql.to_send(notification.pk))


def send_due():
    """Claim the due rows as the dispatcher does, then send each as its task would."""
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)  # after a commit
    for pk in Notification.objects.filter(status=Status.QUEUED).values_list("pk", flat=True):
        sending.notification_send(notification_id=pk)


_sids = itertools.count(1)


def inbound(client, body, sender):
    """An inbound text as Twilio posts it: a form signed over the public URL."""
    params = {"MessageSid": f"SMcare{next(_sids):028d}", "From": sender, "Body": body}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC}{INBOUND_URL}", params)
    return client.post(
        INBOUND_URL,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def test_an_active_caregiver_gets_the_confirmation_and_the_reminders_on_both_channels(patient):
    caregiver = CaregiverFactory(patient=patient)

    booking = book(patient)

    assert rows(caregiver, booking) == [
        ("booking_confirmed", 0, "email"),
        ("booking_confirmed", 0, "sms"),
        ("reminder", 3600, "email"),
        ("reminder", 3600, "sms"),
        ("reminder", 86400, "email"),
        ("reminder", 86400, "sms"),
    ]


def test_a_caregivers_reminders_go_when_the_patients_do(patient):
    caregiver = CaregiverFactory(patient=patient)

    booking = book(patient)

    def times(audience):
        reminders = Notification.objects.filter(
            booking=booking, audience=audience, kind="reminder", channel="sms"
        )
        return sorted(reminders.values_list("send_at", flat=True))

    assert times(f"caregiver:{caregiver.pk}") == times("patient")


def test_a_caregiver_waiting_for_consent_gets_no_copy(patient):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")

    booking = book(patient)

    assert rows(caregiver, booking) == []


def test_only_the_address_that_consented_gets_copies(patient):
    caregiver = CaregiverFactory(patient=patient, email_consented_at=None)

    booking = book(patient)

    assert {channel for _, _, channel in rows(caregiver, booking)} == {"sms"}


def test_a_stopped_caregiver_gets_no_copy(patient):
    caregiver = CaregiverFactory(patient=patient, status=Caregiver.Status.STOPPED)

    assert rows(caregiver, book(patient)) == []


def test_a_cancellation_reaches_the_caregiver_and_cancels_their_reminders(patient):
    caregiver = CaregiverFactory(patient=patient)
    booking = book(patient)

    bookings.booking_cancel(booking=booking, by=patient.user)

    copies = Notification.objects.filter(audience=f"caregiver:{caregiver.pk}", booking=booking)
    assert {n.channel for n in copies.filter(kind="booking_cancelled")} == {"sms", "email"}
    assert set(copies.filter(kind="reminder").values_list("status", flat=True)) == {Status.CANCELLED}


def test_a_move_reaches_the_caregiver(patient):
    caregiver = CaregiverFactory(patient=patient)
    booking = book(patient)
    later = SlotFactory(specialist=booking.slot.specialist, start=booking.slot.start + dt.timedelta(days=1))

    moved = bookings.booking_reschedule(booking=booking, slot_id=later.pk, by=patient.user)

    assert ("booking_rescheduled", 0, "sms") in rows(caregiver, moved)


def test_a_caregivers_messages_say_nothing_clinical_and_carry_no_join_link(patient):
    caregiver = CaregiverFactory(patient=patient)
    booking = book(patient)
    bookings.booking_cancel(booking=booking, by=patient.user)
    join_url = video.join_url(booking, video.Participant.PATIENT)
    assert join_url  # the patient's own messages carry it

    copies = Notification.objects.filter(audience=f"caregiver:{caregiver.pk}", booking=booking)
    assert {n.kind for n in copies} == {"booking_confirmed", "reminder", "booking_cancelled"}
    for notification in copies:
        message = render(notification)
        for part in (message.subject, message.text, message.html):
            assert "CANARY" not in part
            assert join_url not in part
            assert "/v/" not in part and "visits/join" not in part
        assert "Okafor-Whitfield" in message.text


def test_a_caregivers_message_shows_the_time_in_the_patients_zone(patient):
    caregiver = CaregiverFactory(patient=patient)
    booking = book(patient)

    sms = Notification.objects.get(
        audience=f"caregiver:{caregiver.pk}", booking=booking, kind="booking_confirmed", channel="sms"
    )

    local = booking.slot.start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{local.hour % 12 or 12}:30" in render(sms).text
    assert local.strftime("%Z") in render(sms).text


def test_every_caregiver_sms_fits_one_gsm7_segment(patient):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")
    caregivers.caregivers_consent_by_phone(phone="+13125550177")
    booking = book(patient)
    bookings.booking_cancel(booking=booking, by=patient.user)
    later = book(patient, days=4)
    bookings.booking_reschedule(
        booking=later, slot_id=SlotFactory(start=later.slot.start + dt.timedelta(days=30)).pk, by=patient.user
    )

    texts = [
        render(n).text
        for n in Notification.objects.filter(audience=f"caregiver:{caregiver.pk}", channel="sms")
    ]

    assert {
        "caregiver_consent",
        "booking_confirmed",
        "reminder",
        "booking_cancelled",
        "booking_rescheduled",
    } == {n.kind for n in Notification.objects.filter(audience=f"caregiver:{caregiver.pk}")}
    for text in texts:
        assert len(text) <= 160, f"{len(text)} characters: {text}"
        assert set(text) <= GSM7, text


def test_the_consent_sms_asks_for_yes_in_the_patients_name(patient):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")
    request = Notification.objects.get(audience=f"caregiver:{caregiver.pk}", kind="caregiver_consent")

    text = render(request).text

    assert text.startswith("Maximiliana-Josefina asked Neuro Clinic")
    assert "Reply YES" in text


def test_the_consent_email_links_the_consent_page(patient):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", email="robin@example.com")
    request = Notification.objects.get(audience=f"caregiver:{caregiver.pk}", kind="caregiver_consent")

    message = render(request)

    link = f"{PUBLIC}/caregivers/consent/{caregivers.consent_token(caregiver)}/"
    assert link in message.text
    assert link in message.html


def test_a_signed_yes_from_the_caregivers_phone_gives_consent(anon, patient):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")

    assert inbound(anon, "yes", "+13125550177").status_code == 200

    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.ACTIVE
    assert caregiver.phone_consented_at is not None


def test_a_caregivers_yes_from_the_patients_own_number_keeps_their_texts_off(anon, patient):
    booking = book(patient)
    profile_update(user=patient.user, changes={"sms_opt_in": False})  # in the profile, no STOP
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone=str(patient.phone))

    inbound(anon, "YES", str(patient.phone))

    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.ACTIVE  # their consent, as from any number
    patient.refresh_from_db()
    assert patient.sms_opt_in is False
    patient_reminders = Notification.objects.filter(
        audience="patient", booking=booking, channel="sms", kind="reminder"
    )
    assert set(patient_reminders.values_list("status", flat=True)) == {Status.SKIPPED}


def test_a_consent_brings_the_reminders_of_visits_booked_before(anon, patient):
    booking = book(patient)
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")

    inbound(anon, "YES", "+13125550177")

    assert rows(caregiver, booking) == [("reminder", 3600, "sms"), ("reminder", 86400, "sms")]


def test_a_signed_stop_from_the_caregivers_phone_stops_them_and_their_messages(anon, patient):
    caregiver = CaregiverFactory(patient=patient, phone="+13125550177")
    booking = book(patient)

    inbound(anon, "STOP", "+13125550177")

    caregiver.refresh_from_db()
    assert caregiver.status == Caregiver.Status.STOPPED
    waiting = Notification.objects.filter(
        audience=f"caregiver:{caregiver.pk}", booking=booking, kind="reminder"
    )
    assert set(waiting.values_list("status", flat=True)) == {Status.SKIPPED}  # the email's too
    patient.refresh_from_db()
    assert patient.sms_opt_in  # the patient's own number said nothing


def test_the_send_delivers_a_caregivers_copy(backends, patient):
    CaregiverFactory(patient=patient, phone="+13125550177", email="robin@example.com")
    book(patient)

    send_due()

    assert [m.to for m in backends if m.to == "+13125550177"] == ["+13125550177"]
    assert [m.to for m in mail.outbox if m.to == ["robin@example.com"]] == [["robin@example.com"]]


def test_a_consent_request_send_reads_the_caregiver_once(backends, patient, django_assert_num_queries):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    request = Notification.objects.get(audience=f"caregiver:{caregiver.pk}", kind="caregiver_consent")

    # The row, the caregiver with their patient (the consent, the zone, the text), the move to
    # `sending`, the record of `sent`.
    with django_assert_num_queries(4):
        assert sending.notification_send(notification_id=request.pk) == Status.SENT
    assert [m.to for m in backends] == ["+13125550177"]


def test_the_send_skips_a_caregiver_removed_meanwhile(backends, patient):
    caregiver = CaregiverFactory(patient=patient, phone="+13125550177")
    book(patient)
    audience = f"caregiver:{caregiver.pk}"
    # Removed by a path that leaves the rows (only the send's re-check stands between them).
    Caregiver.objects.filter(pk=caregiver.pk).delete()

    send_due()

    assert "+13125550177" not in [m.to for m in backends]
    copies = Notification.objects.filter(audience=audience, kind="booking_confirmed")
    assert set(copies.values_list("status", flat=True)) == {Status.SKIPPED}


def test_the_send_skips_a_caregiver_stopped_meanwhile(backends, patient):
    caregiver = CaregiverFactory(patient=patient, phone="+13125550177")
    book(patient)
    Caregiver.objects.filter(pk=caregiver.pk).update(status=Caregiver.Status.STOPPED)

    send_due()

    assert "+13125550177" not in [m.to for m in backends]
    copies = Notification.objects.filter(audience=f"caregiver:{caregiver.pk}", kind="booking_confirmed")
    assert set(copies.values_list("status", flat=True)) == {Status.SKIPPED}


def test_the_send_skips_a_consent_request_to_a_caregiver_stopped_meanwhile(backends, patient):
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")
    Caregiver.objects.filter(pk=caregiver.pk).update(status=Caregiver.Status.STOPPED)

    send_due()

    assert backends == []
    request = Notification.objects.get(audience=f"caregiver:{caregiver.pk}", kind="caregiver_consent")
    assert request.status == Status.SKIPPED


def test_the_send_skips_a_consent_request_to_a_number_that_consented_meanwhile(backends, patient):
    # The number answered YES to another patient's request first: that consented for both.
    caregiver = caregivers.caregiver_add(patient=patient, name="Robin", phone="+13125550177")
    caregivers.caregivers_consent_by_phone(phone="+13125550177")

    send_due()

    assert backends == []
    request = Notification.objects.get(audience=f"caregiver:{caregiver.pk}", kind="caregiver_consent")
    assert request.status == Status.SKIPPED


def test_removing_a_caregiver_skips_their_waiting_reminders(patient):
    caregiver = CaregiverFactory(patient=patient)
    book(patient)
    audience = f"caregiver:{caregiver.pk}"

    caregivers.caregiver_remove(caregiver=caregiver)

    reminders = Notification.objects.filter(audience=audience, kind="reminder")
    assert set(reminders.values_list("status", flat=True)) == {Status.SKIPPED}


def test_a_caregivers_message_speaks_the_patients_language(patient):
    patient.language = "es"
    patient.save()
    caregiver = CaregiverFactory(patient=patient)
    booking = book(patient)

    email = Notification.objects.get(
        audience=f"caregiver:{caregiver.pk}",
        subject=f"booking:{booking.pk}",
        kind="booking_confirmed",
        channel="email",
    )
    message = render(email)

    assert message.subject.startswith("Consulta reservada para Maximiliana")
    assert "La videoconsulta de Maximiliana" in message.text
