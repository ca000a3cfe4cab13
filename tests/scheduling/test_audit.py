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
    """The booking's changes (an action's answer shows the reason too: that read is its own
    event, tested below)."""
    changes = AuditEvent.objects.filter(object_type="booking", object_id=booking_id)
    return list(changes.exclude(action="booking.reason_read").order_by("id"))


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


# --- Schedules: rules, time off and single slots ---------------------------------------------


def schedule_events(object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type).order_by("id"))


def test_a_rule_created_changed_and_deleted_through_the_api_is_recorded(specialist, specialist_client):
    consult = specialist.visit_types.get(slug="consult")
    body = {"weekday": 2, "start_time": "09:00", "end_time": "12:00", "visit_type": consult.pk}
    rule_id = specialist_client.post("/api/v1/availability-rules/", body, format="json").json()["id"]
    specialist_client.patch(f"/api/v1/availability-rules/{rule_id}/", {"end_time": "11:00"}, format="json")
    specialist_client.delete(f"/api/v1/availability-rules/{rule_id}/")

    created, changed, deleted = schedule_events("availabilityrule")
    assert {e.object_id for e in (created, changed, deleted)} == {rule_id}
    assert [(e.actor, e.action) for e in (created, changed, deleted)] == [
        (specialist.user, "rule.created"),
        (specialist.user, "rule.updated"),
        (specialist.user, "rule.deleted"),
    ]
    assert created.before is None and created.after["end_time"] == "12:00:00"
    assert (changed.before["end_time"], changed.after["end_time"]) == ("12:00:00", "11:00:00")
    assert deleted.before["weekday"] == 2 and deleted.after is None


def test_a_refused_rule_records_nothing(specialist_client):
    body = {"weekday": 9, "start_time": "09:00", "end_time": "12:00", "visit_type": 1}
    assert specialist_client.post("/api/v1/availability-rules/", body, format="json").status_code == 400
    assert not AuditEvent.objects.exists()


def test_time_off_taken_and_given_back_is_recorded_without_its_reason(admin_user):
    booking = booked()
    specialist = booking.slot.specialist
    client = client_for(admin_user)
    body = {
        "specialist": specialist.pk,
        "start": booking.slot.start.isoformat(),
        "end": booking.slot.end.isoformat(),
        "reason": "CANARY-REASON surgery",
        "cancel_conflicting": True,
    }
    off_id = client.post("/api/v1/time-off/", body, format="json").json()["id"]
    client.delete(f"/api/v1/time-off/{off_id}/")

    taken, given_back = schedule_events("timeoff")
    assert (taken.actor, taken.action, taken.object_id) == (admin_user, "time_off.created", off_id)
    assert taken.after == {
        "specialist": specialist.pk,
        "start": booking.slot.start.isoformat(),
        "end": booking.slot.end.isoformat(),
        "cancelled_bookings": [booking.pk],
    }
    assert (given_back.actor, given_back.action, given_back.after) == (admin_user, "time_off.deleted", None)
    assert "CANARY" not in str(taken.after) + str(given_back.before)


def test_a_single_slot_added_and_deleted_by_hand_is_recorded(specialist, specialist_client):
    consult = specialist.visit_types.get(slug="consult")
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    body = {"visit_type": consult.pk, "start": start.isoformat()}
    slot_id = specialist_client.post("/api/v1/slots/", body, format="json").json()["id"]
    specialist_client.delete(f"/api/v1/slots/{slot_id}/")

    added, deleted = schedule_events("slot")
    assert [(e.actor, e.action, e.object_id) for e in (added, deleted)] == [
        (specialist.user, "slot.added", slot_id),
        (specialist.user, "slot.deleted", slot_id),
    ]
    assert added.after["status"] == "open" and added.after["start"] == start.isoformat()
    assert deleted.before["status"] == "open" and deleted.after is None


# --- Reads of a visit's reason ----------------------------------------------------------------


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="booking.reason_read").order_by("id"))


def test_a_specialist_listing_bookings_is_recorded_once_naming_them(specialist):
    first, second = (
        booked(specialist=specialist),
        booked(specialist=specialist, start=timezone.now() + dt.timedelta(days=5)),
    )

    response = client_for(specialist.user).get("/api/v1/bookings/")

    assert response.status_code == 200
    [event] = reads()
    assert event.actor == specialist.user
    assert event.after == {"bookings": sorted([first.pk, second.pk])}
    assert "CANARY" not in str(event.after)


def test_an_admin_reading_one_booking_is_recorded(admin_user):
    booking = booked()

    client_for(admin_user).get(f"/api/v1/bookings/{booking.pk}/")

    [event] = reads()
    assert (event.actor, event.object_type, event.object_id) == (admin_user, "booking", booking.pk)
    assert event.after == {"bookings": [booking.pk]}


def test_a_patient_reading_their_own_bookings_is_not_recorded(patient, patient_client):
    booked(patient)

    assert patient_client.get("/api/v1/bookings/").status_code == 200
    assert reads() == []


def test_the_django_admins_booking_page_records_its_reader(client):
    from clinic.models import User

    booking = booked()
    operator = User.objects.create_superuser(email="ops@clinic.example", password="x" * 12)
    client.force_login(operator)

    response = client.get(f"/admin/scheduling/booking/{booking.pk}/change/")

    assert response.status_code == 200
    [event] = reads()
    assert (event.actor, event.after) == (operator, {"bookings": [booking.pk]})
