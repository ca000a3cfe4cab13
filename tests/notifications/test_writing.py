"""Notification rows are written with the booking change, in the same transaction."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from notifications.models import Notification
from scheduling.models import Booking
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db


def rows(booking):
    return sorted(
        (n.kind, n.offset, n.channel, n.status) for n in Notification.objects.filter(booking=booking)
    )


def book(patient, slot):
    return bookings.booking_create(user=patient.user, slot_id=slot.pk).booking


def test_a_booking_writes_a_confirmation_now_and_a_reminder_per_offset_per_channel(patient):
    slot = SlotFactory(start=timezone.now() + dt.timedelta(days=3))
    booking = book(patient, slot)
    assert rows(booking) == [
        ("booking_confirmed", 0, "email", "pending"),
        ("booking_confirmed", 0, "sms", "pending"),
        ("reminder", 3600, "email", "pending"),
        ("reminder", 3600, "sms", "pending"),
        ("reminder", 86400, "email", "pending"),
        ("reminder", 86400, "sms", "pending"),
    ]
    reminder = Notification.objects.get(booking=booking, kind="reminder", offset=3600, channel="sms")
    assert reminder.send_at == slot.start - dt.timedelta(hours=1)
    assert reminder.recipient == str(patient.phone)


def test_no_reminder_whose_time_has_passed(patient):
    booking = book(patient, SlotFactory(start=timezone.now() + dt.timedelta(hours=5)))
    assert {n.offset for n in Notification.objects.filter(booking=booking, kind="reminder")} == {3600}


def test_only_channels_the_patient_accepts():
    patient = PatientFactory(sms_opt_in=False)
    booking = book(patient, SlotFactory())
    assert set(Notification.objects.filter(booking=booking).values_list("channel", flat=True)) == {"email"}


def test_a_refused_booking_writes_nothing(patient):
    slot = SlotFactory(start=timezone.now() + dt.timedelta(minutes=30))  # too soon
    with pytest.raises(InvalidInput):
        book(patient, slot)
    assert not Notification.objects.exists()


def test_writing_twice_creates_nothing_new(patient):
    from notifications.services.writing import notifications_for_booking_change

    booking = book(patient, SlotFactory())
    before = Notification.objects.count()
    notifications_for_booking_change(booking=booking, action="confirmed")
    assert Notification.objects.count() == before


def test_cancel_cancels_waiting_messages_and_tells_the_patient(patient):
    booking = book(patient, SlotFactory())
    bookings.booking_cancel(booking=booking, by=patient.user)
    statuses = {(n.kind, n.status) for n in Notification.objects.filter(booking=booking)}
    assert statuses == {
        ("booking_confirmed", "cancelled"),
        ("reminder", "cancelled"),
        ("booking_cancelled", "pending"),
    }


def test_reschedule_cancels_the_old_reminders_and_writes_new_ones(patient):
    old = book(patient, SlotFactory())
    target = SlotFactory(specialist=old.slot.specialist, start=old.slot.start + dt.timedelta(days=2))
    new = bookings.booking_reschedule(booking=old, slot_id=target.pk, by=patient.user)
    assert {n.status for n in Notification.objects.filter(booking=old)} == {"cancelled"}
    kinds = {(n.kind, n.status) for n in Notification.objects.filter(booking=new)}
    assert kinds == {("booking_rescheduled", "pending"), ("reminder", "pending")}
    reminder = Notification.objects.get(booking=new, kind="reminder", offset=3600, channel="sms")
    assert reminder.send_at == target.start - dt.timedelta(hours=1)


def test_time_off_cancellation_tells_each_patient(specialist):
    from scheduling.services import time_off

    patient = PatientFactory()
    booking = book(patient, SlotFactory(specialist=specialist))
    time_off.time_off_create(
        specialist=specialist, start=booking.slot.start, end=booking.slot.end, cancel_conflicting=True
    )
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert (
        Notification.objects.filter(booking=booking, kind="booking_cancelled", status="pending").count() == 2
    )


def test_opting_out_in_me_skips_waiting_messages_on_that_channel_at_once(patient, patient_client):
    booking = book(patient, SlotFactory())
    response = patient_client.patch("/api/v1/me/", {"sms_opt_in": False}, format="json")
    assert response.status_code == 200
    assert response.json()["sms_opt_in"] is False
    by_channel = {
        channel: set(
            Notification.objects.filter(booking=booking, channel=channel).values_list("status", flat=True)
        )
        for channel in ("sms", "email")
    }
    assert by_channel == {"sms": {"skipped"}, "email": {"pending"}}


def recipients_by_status(booking, channel):
    return set(
        Notification.objects.filter(booking=booking, channel=channel).values_list("status", "recipient")
    )


def test_a_new_phone_in_me_readdresses_every_unsent_message_at_once(patient, patient_client):
    booking = book(patient, SlotFactory())
    sent = Notification.objects.filter(booking=booking, channel="sms", kind="booking_confirmed")
    sent.update(status=Notification.Status.SENT)
    old, email = str(patient.phone), patient.user.email
    response = patient_client.patch("/api/v1/me/", {"phone": "+12125550199"}, format="json")
    assert response.status_code == 200
    assert recipients_by_status(booking, "sms") == {("sent", old), ("pending", "+12125550199")}
    assert recipients_by_status(booking, "email") == {("pending", email)}


def test_a_new_phone_in_the_django_admin_readdresses_unsent_messages_too(patient):
    from django.test import Client

    from clinic.models import User

    booking = book(patient, SlotFactory())
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@clinic.example", password="x" * 12))
    url = f"/admin/clinic/patient/{patient.pk}/change/"
    form = {
        "user": patient.pk,
        "phone": "+12125550177",
        "state": patient.state,
        "timezone": str(patient.timezone),
        "language": patient.language,
        "sms_opt_in": "on",
        "email_opt_in": "on",
    }
    assert client.post(url, form).status_code == 302
    assert recipients_by_status(booking, "sms") == {("pending", "+12125550177")}
    assert Notification.objects.filter(booking=booking, channel="sms").count() == 3


def test_the_hand_written_insert_names_every_column_that_cannot_be_null():
    from notifications.sql import INSERT_SQL

    named = set(re.findall(r'"?(\w+)"?', INSERT_SQL.split("(", 1)[1].split(")", 1)[0]))
    required = {f.column for f in Notification._meta.concrete_fields if not f.null and not f.primary_key}
    # And the booking it is about, the one nullable column it writes (null for no booking).
    assert named == required | {"booking_id"}


NEW_YORK = ZoneInfo("America/New_York")


def reminders_at(booking):
    return sorted(
        (n.offset, n.send_at.astimezone(NEW_YORK).strftime("%a %H:%M"))
        for n in Notification.objects.filter(booking=booking, kind="reminder", channel="sms")
    )


@pytest.fixture
def quiet_nights(settings, time_machine):
    settings.QUIET_HOURS = (dt.time(21), dt.time(8))
    time_machine.move_to(dt.datetime(2026, 12, 7, 12, tzinfo=NEW_YORK), tick=False)  # a Monday


def test_a_reminder_due_in_the_night_goes_when_the_quiet_hours_end(quiet_nights, patient):
    slot = SlotFactory(start=dt.datetime(2026, 12, 10, 9, 0, tzinfo=NEW_YORK))

    booking = book(patient, slot)

    # 1 h before is 08:00 sharp, the end of the night itself; 24 h before is Wednesday 09:00.
    assert reminders_at(booking) == [(3600, "Thu 08:00"), (86400, "Wed 09:00")]


def test_a_reminder_that_would_wait_past_an_early_visit_goes_the_evening_before(quiet_nights, patient):
    slot = SlotFactory(start=dt.datetime(2026, 12, 10, 7, 30, tzinfo=NEW_YORK))

    booking = book(patient, slot)

    # 06:30 is quiet and 08:00 is after the visit: 21:00 the evening before. The day before's
    # 07:30 is quiet too, and moves to 08:00.
    assert reminders_at(booking) == [(3600, "Wed 21:00"), (86400, "Wed 08:00")]


def test_two_reminders_moved_to_the_same_evening_are_one_message(quiet_nights, settings, patient):
    settings.REMINDER_OFFSETS = [3 * 3600, 3600]
    slot = SlotFactory(start=dt.datetime(2026, 12, 10, 6, 0, tzinfo=NEW_YORK))

    booking = book(patient, slot)

    assert reminders_at(booking) == [(3 * 3600, "Wed 21:00")]


def test_the_confirmation_of_a_booking_made_at_night_is_not_held(settings, time_machine, patient):
    settings.QUIET_HOURS = (dt.time(21), dt.time(8))
    time_machine.move_to(dt.datetime(2026, 12, 7, 23, 30, tzinfo=NEW_YORK), tick=False)
    booking = book(patient, SlotFactory(start=dt.datetime(2026, 12, 10, 10, tzinfo=NEW_YORK)))

    confirmation = Notification.objects.get(booking=booking, kind="booking_confirmed", channel="sms")

    assert confirmation.send_at == timezone.now()
