"""A specialist hears of visits booked, cancelled or moved in the next 48 hours, by email (and
SMS if they chose it), with nothing of the patient in the message."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.services import profile_update, specialist_update, user_email_update
from notifications import sql
from notifications.models import Notification
from notifications.services import sending
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


def alerts(booking):
    return sorted(
        (n.kind, n.channel)
        for n in Notification.objects.filter(subject=f"booking:{booking.pk}", audience="specialist")
    )


def slot_in(hours, specialist=None):
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    return SlotFactory(start=start, **({"specialist": specialist} if specialist else {}))


@pytest.fixture
def patient():
    return PatientFactory(user__first_name="Canarina", phone="+12125550123")


def book(patient, slot):
    return bookings.booking_create(user=patient.user, slot_id=slot.pk, reason="CANARY aura").booking


def test_a_visit_booked_within_48_hours_alerts_the_specialist_by_email(patient):
    booking = book(patient, slot_in(30))

    assert alerts(booking) == [("booking_confirmed", "email")]


def test_a_specialist_who_chose_sms_alerts_gets_them_on_their_phone(patient):
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))

    assert alerts(booking) == [("booking_confirmed", "email"), ("booking_confirmed", "sms")]
    sms = Notification.objects.get(subject=f"booking:{booking.pk}", audience="specialist", channel="sms")
    assert sms.recipient == "+13125550142"


def test_a_visit_further_out_alerts_nobody(patient):
    assert alerts(book(patient, slot_in(72))) == []


def test_a_specialist_who_turned_alerts_off_gets_none(patient):
    specialist = SpecialistFactory(email_alerts=False)

    assert alerts(book(patient, slot_in(30, specialist))) == []


def test_a_cancellation_by_the_patient_alerts_the_specialist(patient):
    booking = book(patient, slot_in(30))

    bookings.booking_cancel(booking=booking, by=patient.user, reason="")

    assert ("booking_cancelled", "email") in alerts(booking)


def test_a_cancellation_by_the_specialist_alerts_nobody(patient):
    booking = book(patient, slot_in(30))
    specialist_user = booking.slot.specialist.user

    bookings.booking_cancel(booking=booking, by=specialist_user, reason="")

    assert ("booking_cancelled", "email") not in alerts(booking)


def test_a_visit_moved_out_of_the_next_48_hours_still_alerts(patient, settings):
    settings.CANCELLATION_WINDOW_HOURS = 0
    booking = book(patient, slot_in(30))
    later = slot_in(100, booking.slot.specialist)

    moved = bookings.booking_reschedule(booking=booking, slot_id=later.pk, by=patient.user)

    assert alerts(moved) == [("booking_rescheduled", "email")]


def test_the_alert_says_when_and_where_to_look_and_nothing_of_the_patient(patient, settings):
    settings.PUBLIC_BASE_URL = "https://visits.neuroclinic.example"
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))

    for row in Notification.objects.filter(subject=f"booking:{booking.pk}", audience="specialist"):
        message = sending.notification_message(sql.to_send(row.pk))
        text = message.subject + message.text + message.html
        assert "https://visits.neuroclinic.example/week/" in text
        assert "CANARY" not in text and "Canarina" not in text
        assert "/v/" not in text  # no join link: the week page has the specialist's own


def test_the_sms_alert_goes_out_through_the_pipeline_to_the_specialist(patient, settings, monkeypatch):
    from notifications.backends.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "locmem"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))
    row = Notification.objects.get(subject=f"booking:{booking.pk}", audience="specialist", channel="sms")
    Notification.objects.filter(pk=row.pk).update(status="queued")

    assert sending.notification_send(notification_id=row.pk) == "sent"

    (sms,) = LocmemSmsBackend.outbox
    assert sms.to == "+13125550142" and "a new visit is booked with you" in sms.body


def test_an_sms_alert_is_skipped_once_the_specialist_turns_sms_alerts_off(patient):
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))
    specialist.sms_alerts = False
    specialist.save()
    row = Notification.objects.get(subject=f"booking:{booking.pk}", audience="specialist", channel="sms")
    Notification.objects.filter(pk=row.pk).update(status="queued")

    sending.notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == "skipped"


def test_an_alert_send_reads_the_booking_once(patient, settings, monkeypatch, django_assert_num_queries):
    from notifications.backends.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "locmem"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))
    row = Notification.objects.get(subject=f"booking:{booking.pk}", audience="specialist", channel="sms")
    Notification.objects.filter(pk=row.pk).update(status="queued")

    # The row, the booking with its specialist (their consent, zone and name), the move to
    # `sending`, the record of `sent`.
    with django_assert_num_queries(4):
        assert sending.notification_send(notification_id=row.pk) == "sent"
    assert len(LocmemSmsBackend.outbox) == 1


def alert_rows(booking):
    return sorted(
        (n.channel, n.status, n.recipient)
        for n in Notification.objects.filter(subject=f"booking:{booking.pk}", audience="specialist")
    )


def test_a_specialists_new_phone_readdresses_an_sms_alert_not_yet_sent(patient):
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))

    profile_update(user=specialist.user, changes={"phone": "+13125550199"})

    assert alert_rows(booking) == [
        ("email", "pending", specialist.user.email),
        ("sms", "pending", "+13125550199"),
    ]


def test_turning_email_alerts_off_skips_an_email_alert_not_yet_sent(patient):
    specialist = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    booking = book(patient, slot_in(30, specialist))

    specialist_update(specialist=specialist, changes={"email_alerts": False})

    assert alert_rows(booking) == [
        ("email", "skipped", specialist.user.email),
        ("sms", "pending", "+13125550142"),
    ]


def test_a_specialists_new_email_readdresses_an_email_alert_not_yet_sent(patient):
    specialist = SpecialistFactory()
    booking = book(patient, slot_in(30, specialist))

    user_email_update(user=specialist.user, email="dr.new@clinic.example")

    assert alert_rows(booking) == [("email", "pending", "dr.new@clinic.example")]


def test_a_specialists_new_address_leaves_another_specialists_and_the_patients_messages_alone(patient):
    changing = SpecialistFactory(sms_alerts=True, phone="+13125550142")
    other = SpecialistFactory(sms_alerts=True, phone="+13125550143")
    booking = book(patient, slot_in(30, changing))
    theirs = book(PatientFactory(), slot_in(30, other))
    before = alert_rows(theirs)
    patients = set(Notification.objects.filter(audience="patient").values_list("id", "status", "recipient"))

    specialist_update(specialist=changing, changes={"phone": "+13125550199", "email_alerts": False})

    assert alert_rows(theirs) == before
    assert (
        set(Notification.objects.filter(audience="patient").values_list("id", "status", "recipient"))
        == patients
    )
    assert alert_rows(booking)[1] == ("sms", "pending", "+13125550199")
