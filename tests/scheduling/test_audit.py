"""Every booking state change leaves an audit event: who, what, when, before and after, and no
reason for the visit. A change refused leaves none."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core.models import AuditEvent
from scheduling.models import Booking
from scheduling.services import bookings, time_off
from tests.conftest import client_for
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db
REASON = "CANARY-REASON Trigeminal neuralgia"


def events(booking_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="booking", object_id=booking_id).order_by("id"))


def booked(patient=None, **slot) -> Booking:
    patient = patient or PatientFactory()
    return bookings.booking_create(user=patient.user, slot_id=SlotFactory(**slot).pk, reason=REASON).booking


def test_a_booking_records_its_confirmation_by_the_patient(patient, patient_client):
    slot = SlotFactory()
    response = patient_client.post("/api/v1/bookings/", {"slot": slot.pk, "reason": REASON}, format="json")

    [event] = events(response.json()["id"])
    assert (event.actor, event.action) == (patient.user, "booking.confirmed")
    assert event.before is None
    assert event.after == {"status": "confirmed", "slot": slot.pk}
    assert timezone.now() - event.at < dt.timedelta(seconds=5)


def test_a_cancel_records_who_cancelled_and_the_status_before_and_after(specialist):
    booking = booked(specialist=specialist)

    client_for(specialist.user).post(
        f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": REASON}, format="json"
    )

    event = events(booking.pk)[-1]
    assert (event.actor, event.action) == (specialist.user, "booking.cancelled")
    assert event.before == {"status": "confirmed", "slot": booking.slot_id}
    assert event.after == {"status": "cancelled", "slot": booking.slot_id, "cancelled_by": "specialist"}


def test_a_reschedule_records_both_bookings(patient, patient_client):
    old = booked(patient)
    target = SlotFactory(start=old.slot.start + dt.timedelta(days=1))

    new_id = patient_client.post(
        f"/api/v1/bookings/{old.pk}/reschedule/", {"slot": target.pk}, format="json"
    ).json()["id"]

    moved = events(old.pk)[-1]
    assert (moved.actor, moved.action) == (patient.user, "booking.rescheduled")
    assert moved.before == {"status": "confirmed", "slot": old.slot_id}
    assert moved.after == {"status": "rescheduled", "slot": old.slot_id, "rescheduled_to": new_id}
    [made] = events(new_id)
    assert (made.actor, made.action) == (patient.user, "booking.confirmed")
    assert made.after == {"status": "confirmed", "slot": target.pk, "rescheduled_from": old.pk}


@pytest.mark.parametrize(
    ("path", "action", "status"), [("complete", "completed", "completed"), ("no-show", "no_show", "no_show")]
)
def test_complete_and_no_show_record_the_specialist(specialist, path, action, status):
    booking = booked(specialist=specialist)

    with time_machine.travel(booking.slot.start + dt.timedelta(minutes=5)):
        client_for(specialist.user).post(f"/api/v1/bookings/{booking.pk}/{path}/")

    event = events(booking.pk)[-1]
    assert (event.actor, event.action) == (specialist.user, f"booking.{action}")
    assert (event.before["status"], event.after["status"]) == ("confirmed", status)


def test_time_off_that_cancels_a_booking_records_who_took_it(admin_user):
    booking = booked()
    specialist = booking.slot.specialist

    time_off.time_off_create(
        specialist=specialist,
        start=booking.slot.start,
        end=booking.slot.end,
        cancel_conflicting=True,
        by=admin_user,
    )

    event = events(booking.pk)[-1]
    assert (event.actor, event.action) == (admin_user, "booking.cancelled")
    assert event.after["status"] == "cancelled"
    assert event.after["time_off"] is not None


def test_a_refused_change_records_nothing(patient, patient_client):
    booking = booked(patient)
    taken = booked(start=booking.slot.start + dt.timedelta(days=1)).slot

    response = patient_client.post(
        f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": taken.pk}, format="json"
    )

    assert response.status_code == 409
    assert [event.action for event in events(booking.pk)] == ["booking.confirmed"]


def test_no_audit_event_carries_the_reason_for_the_visit(patient, patient_client):
    booking = booked(patient)
    patient_client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": REASON}, format="json")

    assert AuditEvent.objects.exists()
    for event in AuditEvent.objects.all():
        assert "CANARY" not in str(event.before) + str(event.after)
