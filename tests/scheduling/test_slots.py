"""Slots: single slots added and removed, what becomes of a booked slot when its visit goes,
and the one announcement of a slot coming free."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import Slot
from scheduling.services import bookings, rules, slots, time_off
from scheduling.signals import slot_freed
from tests.factories import BookingFactory, PatientFactory, SlotFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db


def test_single_slot_added_and_removed(specialist_client, specialist):
    consult = specialist.visit_types.get(slug="consult")
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    created = specialist_client.post(
        "/api/v1/slots/", {"visit_type": consult.pk, "start": start.isoformat()}, format="json"
    )
    assert created.status_code == 201
    slot = Slot.objects.get(pk=created.json()["id"])
    assert slot.end - slot.start == dt.timedelta(minutes=60)
    overlap = specialist_client.post(
        "/api/v1/slots/",
        {"visit_type": consult.pk, "start": (start + dt.timedelta(minutes=30)).isoformat()},
        format="json",
    )
    assert overlap.status_code == 409
    assert overlap.json()["code"] == "slot_overlaps"
    assert specialist_client.delete(f"/api/v1/slots/{slot.pk}/").status_code == 204
    assert not Slot.objects.filter(pk=slot.pk).exists()


def test_deleting_a_booked_slot_answers_slot_booked(specialist_client, specialist):
    booking = BookingFactory(slot__specialist=specialist)
    response = specialist_client.delete(f"/api/v1/slots/{booking.slot_id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_booked"


def _cancel(booking):
    bookings.booking_cancel(booking=booking, by=booking.slot.specialist.user)
    booking.slot.refresh_from_db()
    return booking.slot


def test_a_booked_slot_of_a_deleted_rule_retires_when_its_visit_is_cancelled(specialist, add_rule, book_slot):
    rule = add_rule()
    booking = book_slot(rule.slots.order_by("start").last())
    rules.rule_delete(rule=rule)

    booking.slot.refresh_from_db()
    assert (booking.slot.withdrawn, booking.slot.rule, booking.slot.status) == (True, None, "booked")

    slot = _cancel(booking)
    assert slot.status == Slot.Status.RETIRED
    assert not Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).exists()


def test_a_booked_slot_an_edit_moved_away_from_retires_when_its_visit_is_moved(
    specialist, add_rule, book_slot
):
    rule = add_rule()  # 09:00-12:00, hour-long consults
    booking = book_slot(rule.slots.order_by("start").last())
    rules.rule_update(rule=rule, changes={"start_time": dt.time(9, 30), "end_time": dt.time(12, 30)})
    target = Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).order_by("start").last()

    bookings.booking_reschedule(booking=booking, slot_id=target.pk, by=specialist.user)
    booking.slot.refresh_from_db()
    assert (booking.slot.status, booking.slot.rule, booking.slot.withdrawn) == ("retired", None, True)


def test_a_booked_slot_of_a_rule_now_for_another_visit_type_is_withdrawn(specialist, add_rule, book_slot):
    rule = add_rule()
    booking = book_slot(rule.slots.order_by("start").last())
    other = VisitTypeFactory(slug="consult-2", duration_minutes=60)  # same length, same times
    specialist.visit_types.add(other)
    rules.rule_update(rule=rule, changes={"visit_type": other})

    slot = _cancel(booking)
    assert (slot.status, slot.withdrawn) == (Slot.Status.RETIRED, True)


def test_a_booked_slot_the_edited_rule_still_yields_reopens_when_cancelled(specialist, add_rule, book_slot):
    rule = add_rule()
    booking = book_slot(rule.slots.order_by("start").last())
    rules.rule_update(rule=rule, changes={"end_time": dt.time(13)})

    slot = _cancel(booking)
    assert slot.status == Slot.Status.OPEN
    assert slot.rule_id == rule.pk


def test_a_retired_slot_cannot_be_deleted_or_seen_as_a_managed_slot(
    specialist_client, specialist, add_rule, book_slot
):
    rule = add_rule()
    booking = book_slot(rule.slots.order_by("start").last())
    rules.rule_delete(rule=rule)
    _cancel(booking)
    assert specialist_client.delete(f"/api/v1/slots/{booking.slot.pk}/").status_code == 404


@pytest.fixture
def freed():
    """The slots announced as freed, as (id, status) when announced."""
    announced = []

    def receiver(sender, slot, **kwargs):
        announced.append((slot.pk, slot.status))

    slot_freed.connect(receiver, weak=False)
    yield announced
    slot_freed.disconnect(receiver)


def booked_visit():
    return bookings.booking_create(user=PatientFactory().user, slot_id=SlotFactory().pk).booking


def test_a_cancelled_visit_announces_its_slot_freed_once(freed):
    booking = booked_visit()
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    assert freed == [(booking.slot_id, Slot.Status.OPEN)]


def test_a_rescheduled_visit_announces_its_old_slot_freed_once(freed):
    booking = booked_visit()
    target = SlotFactory(specialist=booking.slot.specialist, start=booking.slot.start + dt.timedelta(days=1))
    bookings.booking_reschedule(booking=booking, slot_id=target.pk, by=booking.patient.user)
    assert freed == [(booking.slot_id, Slot.Status.OPEN)]


def test_a_cancelled_visit_whose_slot_retires_announces_nothing(specialist, add_rule, book_slot, freed):
    rule = add_rule()
    booking = book_slot(rule.slots.order_by("start").last())
    rules.rule_delete(rule=rule)
    assert _cancel(booking).status == Slot.Status.RETIRED
    assert freed == []


def test_a_visit_cancelled_by_time_off_announces_nothing(specialist, freed):
    booking = BookingFactory(slot__specialist=specialist)
    time_off.time_off_create(
        specialist=specialist, start=booking.slot.start, end=booking.slot.end, cancel_conflicting=True
    )
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.BLOCKED
    assert freed == []


def test_new_hours_and_time_off_ending_announce_nothing(specialist, add_rule, freed):
    slots.slot_add(
        specialist=specialist,
        visit_type=specialist.visit_types.get(slug="consult"),
        start=(timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0),
    )
    rule = add_rule()
    first = rule.slots.order_by("start").first()
    off = time_off.time_off_create(specialist=specialist, start=first.start, end=first.end).time_off
    time_off.time_off_delete(time_off=off)
    rules.slots_extend(specialist=specialist)
    assert Slot.objects.get(pk=first.pk).status == Slot.Status.OPEN
    assert freed == []
