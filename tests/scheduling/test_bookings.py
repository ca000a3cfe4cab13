"""Booking, cancelling, rescheduling and finishing visits over HTTP, with the policies."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from scheduling.models import Booking, Slot
from tests.conftest import client_for
from tests.factories import (
    BookingFactory,
    FollowUpFactory,
    PatientFactory,
    SlotFactory,
    SpecialistFactory,
)

pytestmark = pytest.mark.django_db


def book(client, slot, **headers):
    return client.post(
        "/api/v1/bookings/", {"slot": slot.pk, "reason": "Migraines"}, format="json", **headers
    )


def in_days(days: float, hour: int = 15) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_booking_an_open_slot_confirms_it_and_claims_the_slot(patient_client, patient):
    slot = SlotFactory()
    response = book(patient_client, slot)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "confirmed"
    assert (body["patient"], body["slot"], body["specialist"]) == (patient.pk, slot.pk, slot.specialist_id)
    assert body["reason"] == "Migraines"
    assert set(body) == {
        "id",
        "patient",
        "specialist",
        "slot",
        "visit_type",
        "start",
        "end",
        "status",
        "reason",
        "created_at",
        "cancelled_at",
        "cancel_reason",
        "cancelled_by",
        "rescheduled_from",
        "attendance_confirmed_at",
        "video",
    }
    assert body["attendance_confirmed_at"] is None
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BOOKED


def test_a_taken_slot_answers_409_slot_unavailable(patient_client):
    slot = SlotFactory()
    assert book(client_for(PatientFactory().user), slot).status_code == 201
    response = book(patient_client, slot)
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert Booking.objects.count() == 1


def test_only_patients_book_and_admins_only_for_a_named_patient(specialist_client, admin_client):
    # An admin books for a patient (tests/scheduling/test_bookings_by_admin.py), never unnamed.
    slot = SlotFactory()
    assert book(specialist_client, slot).status_code == 403
    response = book(admin_client, slot)
    assert response.status_code == 400
    assert "patient" in response.json()["fields"]


@pytest.mark.parametrize(
    ("slot_kwargs", "code"),
    [
        ({"start": lambda: timezone.now() + dt.timedelta(minutes=90)}, "too_soon"),
        ({"start": lambda: timezone.now() + dt.timedelta(days=61)}, "too_far_ahead"),
        ({"specialist": lambda: SpecialistFactory(states=["CA"])}, "not_licensed_in_state"),
        ({"visit_type": FollowUpFactory}, "follow_up_requires_prior_visit"),
        (
            {"specialist": lambda: SpecialistFactory(accepting_new_patients=False)},
            "not_accepting_new_patients",
        ),
    ],
)
def test_policies_refuse_with_their_code(patient_client, slot_kwargs, code):
    slot = SlotFactory(**{key: make() for key, make in slot_kwargs.items()})
    response = book(patient_client, slot)
    assert response.status_code == 400
    assert response.json()["code"] == code
    slot.refresh_from_db()
    assert slot.status == Slot.Status.OPEN
    assert not Booking.objects.exists()


def test_license_must_be_valid_on_the_visit_date_not_just_today(patient_client):
    specialist = SpecialistFactory(states=[])
    specialist.licenses.create(state="NY", number="1", expires_on=timezone.localdate() + dt.timedelta(days=5))
    late = SlotFactory(specialist=specialist, start=in_days(10))
    early = SlotFactory(specialist=specialist, start=in_days(3))
    assert book(patient_client, late).json()["code"] == "not_licensed_in_state"
    assert book(patient_client, early).status_code == 201


def test_follow_up_allowed_after_a_completed_visit_with_that_specialist(patient_client, patient):
    specialist = SpecialistFactory()
    BookingFactory(patient=patient, slot__specialist=specialist, slot__start=in_days(-7), status="completed")
    follow_up = SlotFactory(specialist=specialist, visit_type=FollowUpFactory())
    assert book(patient_client, follow_up).status_code == 201


def test_inactive_specialists_slots_are_unavailable(patient_client):
    slot = SlotFactory(specialist=SpecialistFactory(is_active=False))
    assert book(patient_client, slot).json()["code"] == "slot_unavailable"


def test_cap_on_active_bookings(patient_client, settings):
    settings.MAX_ACTIVE_BOOKINGS = 2
    slots = [SlotFactory(start=in_days(3 + i)) for i in range(3)]
    assert [book(patient_client, s).status_code for s in slots[:2]] == [201, 201]
    response = book(patient_client, slots[2])
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_active_bookings"


def test_an_unknown_slot_is_a_field_error(patient_client):
    response = patient_client.post("/api/v1/bookings/", {"slot": 987654}, format="json")
    assert response.status_code == 400
    assert "slot" in response.json()["fields"]


def test_idempotency_key_replays_the_same_booking(patient_client):
    slot = SlotFactory()
    first = book(patient_client, slot, HTTP_IDEMPOTENCY_KEY="abc-123")
    again = book(patient_client, slot, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Booking.objects.count() == 1


def test_idempotency_key_reused_with_another_body_answers_409(patient_client):
    book(patient_client, SlotFactory(), HTTP_IDEMPOTENCY_KEY="abc-123")
    response = book(patient_client, SlotFactory(start=in_days(4)), HTTP_IDEMPOTENCY_KEY="abc-123")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_idempotency_key_reused_with_another_body_says_so(patient_client):
    book(patient_client, SlotFactory(), HTTP_IDEMPOTENCY_KEY="abc-123")
    response = book(patient_client, SlotFactory(start=in_days(4)), HTTP_IDEMPOTENCY_KEY="abc-123")
    assert response.json()["detail"] == "This Idempotency-Key was used with another request."


def test_idempotency_keys_are_scoped_to_the_user(patient_client):
    book(patient_client, SlotFactory(), HTTP_IDEMPOTENCY_KEY="same")
    other = book(
        client_for(PatientFactory().user), SlotFactory(start=in_days(4)), HTTP_IDEMPOTENCY_KEY="same"
    )
    assert other.status_code == 201
    assert Booking.objects.count() == 2


def test_booking_makes_a_bounded_number_of_queries(patient_client, django_assert_max_num_queries):
    slot = SlotFactory()
    # Token, patient lock (which tells that there are no caregivers), key lookup, the claim
    # (which reads what the policies test), the booking with its video room (one statement on
    # PostgreSQL, two on SQLite), the notification rows (one insert), the audit event, key insert;
    # the test's own transaction adds the savepoint and release that are BEGIN and COMMIT in
    # production.
    with django_assert_max_num_queries(10 if connection.vendor == "postgresql" else 11):
        assert book(patient_client, slot, HTTP_IDEMPOTENCY_KEY="q").status_code == 201


def test_lists_are_scoped_by_role(patient, patient_client, specialist, specialist_client, admin_client):
    mine = BookingFactory(patient=patient, slot__specialist=specialist)
    theirs = BookingFactory(slot__specialist=specialist, slot__start=in_days(5))
    stranger = BookingFactory()

    def ids(client):
        return {b["id"] for b in client.get("/api/v1/bookings/").json()["results"]}

    assert ids(patient_client) == {mine.pk}
    assert ids(specialist_client) == {mine.pk, theirs.pk}
    assert ids(admin_client) == {mine.pk, theirs.pk, stranger.pk}


def test_a_strangers_booking_answers_404(patient_client, specialist_client):
    stranger = BookingFactory()
    for client in (patient_client, specialist_client):
        assert client.get(f"/api/v1/bookings/{stranger.pk}/").status_code == 404
        assert client.post(f"/api/v1/bookings/{stranger.pk}/cancel/", {}, format="json").status_code == 404


def test_bookings_filter_by_status_and_start(patient, patient_client):
    soon = BookingFactory(patient=patient, slot__start=in_days(2))
    later = BookingFactory(patient=patient, slot__start=in_days(9), status="cancelled")
    by_status = patient_client.get("/api/v1/bookings/?status=cancelled").json()["results"]
    assert [b["id"] for b in by_status] == [later.pk]
    after = in_days(5).isoformat().replace("+00:00", "Z")
    assert [
        b["id"] for b in patient_client.get(f"/api/v1/bookings/?start_after={after}").json()["results"]
    ] == [later.pk]
    assert [
        b["id"] for b in patient_client.get(f"/api/v1/bookings/?start_before={after}").json()["results"]
    ] == [soon.pk]


def test_patient_cancels_before_the_window_and_the_slot_reopens(patient, patient_client):
    booking = BookingFactory(patient=patient, slot__start=in_days(3))
    response = patient_client.post(
        f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": "Feeling better"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancelled_by"], body["cancel_reason"]) == (
        "cancelled",
        "patient",
        "Feeling better",
    )
    assert body["cancelled_at"] is not None
    booking.slot.refresh_from_db()
    assert booking.slot.status == Slot.Status.OPEN


def test_patient_cannot_cancel_inside_the_window(patient, patient_client):
    booking = BookingFactory(patient=patient, slot__start=timezone.now() + dt.timedelta(hours=23))
    response = patient_client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "cancellation_window_closed"
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_specialist_cancels_any_time(specialist, specialist_client):
    booking = BookingFactory(slot__specialist=specialist, slot__start=timezone.now() + dt.timedelta(hours=1))
    response = specialist_client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["cancelled_by"] == "specialist"


def test_cancelling_twice_answers_booking_not_confirmed(patient, patient_client):
    booking = BookingFactory(patient=patient)
    patient_client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json")
    again = patient_client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "booking_not_confirmed"


def test_reschedule_moves_the_visit_and_reopens_the_old_slot(patient, patient_client):
    booking = BookingFactory(patient=patient)
    target = SlotFactory(specialist=booking.slot.specialist, start=in_days(6))
    response = patient_client.post(
        f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": target.pk}, format="json"
    )
    assert response.status_code == 200
    new = response.json()
    assert (new["slot"], new["status"], new["rescheduled_from"], new["reason"]) == (
        target.pk,
        "confirmed",
        booking.pk,
        booking.reason,
    )
    booking.refresh_from_db()
    booking.slot.refresh_from_db()
    target.refresh_from_db()
    assert booking.status == "rescheduled"
    assert (booking.slot.status, target.status) == (Slot.Status.OPEN, Slot.Status.BOOKED)


def test_reschedule_onto_a_taken_slot_changes_nothing(patient, patient_client):
    booking = BookingFactory(patient=patient)
    taken = BookingFactory(slot__specialist=booking.slot.specialist, slot__start=in_days(6)).slot
    response = patient_client.post(
        f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": taken.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    booking.refresh_from_db()
    booking.slot.refresh_from_db()
    assert (booking.status, booking.slot.status) == ("confirmed", Slot.Status.BOOKED)
    assert Booking.objects.count() == 2


def test_a_specialist_cannot_move_a_visit_into_another_specialists_schedule(patient):
    booking = BookingFactory(patient=patient)
    others = SlotFactory(start=in_days(6))  # another specialist's open slot
    specialist = client_for(booking.slot.specialist.user)
    response = specialist.post(
        f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": others.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"slot": ["No such slot."]}
    others.refresh_from_db()
    booking.refresh_from_db()
    assert (others.status, booking.status) == (Slot.Status.OPEN, "confirmed")
    own = SlotFactory(specialist=booking.slot.specialist, start=in_days(7))
    moved = specialist.post(f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": own.pk}, format="json")
    assert (moved.status_code, moved.json()["slot"]) == (200, own.pk)


def test_reschedule_at_the_cap_is_allowed(patient, patient_client, settings):
    settings.MAX_ACTIVE_BOOKINGS = 1
    booking = BookingFactory(patient=patient)
    target = SlotFactory(specialist=booking.slot.specialist, start=in_days(6))
    assert (
        patient_client.post(
            f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": target.pk}, format="json"
        ).status_code
        == 200
    )


def test_complete_and_no_show_only_after_the_start(specialist, specialist_client, patient_client):
    booking = BookingFactory(slot__specialist=specialist, slot__start=in_days(3))
    early = specialist_client.post(f"/api/v1/bookings/{booking.pk}/complete/")
    assert early.status_code == 409
    assert early.json()["code"] == "not_started"
    with time_machine.travel(booking.slot.start + dt.timedelta(minutes=5)):
        assert (
            specialist_client.post(f"/api/v1/bookings/{booking.pk}/complete/").json()["status"] == "completed"
        )
    other = BookingFactory(slot__specialist=specialist, slot__start=in_days(4))
    with time_machine.travel(other.slot.start + dt.timedelta(minutes=20)):
        assert specialist_client.post(f"/api/v1/bookings/{other.pk}/no-show/").json()["status"] == "no_show"


def test_patients_cannot_complete_their_own_visit(patient, patient_client):
    booking = BookingFactory(patient=patient)
    assert patient_client.post(f"/api/v1/bookings/{booking.pk}/complete/").status_code == 403


def test_calendar_ics_has_the_visit_and_no_phi(patient, patient_client):
    booking = BookingFactory(patient=patient, reason="Cluster headaches since March")
    response = patient_client.get(f"/api/v1/bookings/{booking.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"Cluster" not in response.content
    event = next(iter(Calendar.from_ical(response.content).walk("VEVENT")))
    assert event.decoded("dtstart") == booking.slot.start
    assert event.decoded("dtend") == booking.slot.end


def test_calendar_ics_of_a_strangers_booking_answers_404(patient_client):
    assert patient_client.get(f"/api/v1/bookings/{BookingFactory().pk}/calendar.ics").status_code == 404


def confirm(client, booking):
    return client.post(f"/api/v1/bookings/{booking.pk}/confirm-attendance/")


def test_a_patient_confirms_they_will_attend_once(patient_client, patient, time_machine):
    booking = BookingFactory(patient=patient)
    time_machine.move_to(timezone.now(), tick=False)

    first = confirm(patient_client, booking)
    time_machine.shift(dt.timedelta(minutes=5))
    again = confirm(patient_client, booking)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["attendance_confirmed_at"] == again.json()["attendance_confirmed_at"] is not None
    booking.refresh_from_db()
    assert booking.attendance_confirmed_at is not None


def test_confirming_attendance_of_someone_elses_visit_answers_404(patient_client):
    assert confirm(patient_client, BookingFactory()).status_code == 404


def test_only_the_patient_confirms_attendance(specialist_client, specialist):
    booking = BookingFactory(slot=SlotFactory(specialist=specialist, status=Slot.Status.BOOKED))

    response = confirm(specialist_client, booking)

    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.attendance_confirmed_at is None


def test_a_cancelled_visit_cannot_be_confirmed(patient_client, patient):
    booking = BookingFactory(patient=patient, status=Booking.Status.CANCELLED)

    response = confirm(patient_client, booking)

    assert (response.status_code, response.json()["code"]) == (409, "booking_not_confirmed")
