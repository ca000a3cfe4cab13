"""Time off: it closes the slots it touches, refuses or cancels the visits in it, and reopens
what it closed when it goes."""

import datetime as dt

import pytest
import time_machine

from core.errors import Conflict
from scheduling.models import Booking, Slot, TimeOff
from scheduling.services import rules, slots, time_off
from tests.factories import BookingFactory, SlotFactory

UTC = dt.UTC
pytestmark = pytest.mark.django_db


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_time_off_with_a_confirmed_booking_lists_it_and_changes_nothing(specialist_client, specialist):
    booking = BookingFactory(slot__specialist=specialist)
    free = SlotFactory(specialist=specialist, start=booking.slot.end)
    body = {"start": booking.slot.start.isoformat(), "end": free.end.isoformat(), "reason": "Conference"}
    response = specialist_client.post("/api/v1/time-off/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflicting_bookings"
    assert response.json()["bookings"] == [booking.pk]
    free.refresh_from_db()
    assert free.status == Slot.Status.OPEN


def test_time_off_with_cancel_conflicting_cancels_and_blocks(specialist_client, specialist):
    booking = BookingFactory(slot__specialist=specialist)
    body = {
        "start": booking.slot.start.isoformat(),
        "end": booking.slot.end.isoformat(),
        "cancel_conflicting": True,
    }
    response = specialist_client.post("/api/v1/time-off/", body, format="json")
    assert response.status_code == 201
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == ("cancelled", "specialist")
    booking.slot.refresh_from_db()
    assert booking.slot.status == Slot.Status.BLOCKED


def test_time_off_cancels_only_the_bookings_the_person_was_shown(specialist):
    shown = BookingFactory(slot__specialist=specialist)
    unseen = BookingFactory(slot__specialist=specialist, slot__start=shown.slot.end)
    interval = {"start": shown.slot.start, "end": unseen.slot.end}

    with pytest.raises(Conflict) as refused:
        time_off.time_off_create(
            specialist=specialist, cancel_conflicting=True, expected=[shown.pk], **interval
        )

    assert refused.value.extra["bookings"] == sorted([shown.pk, unseen.pk])
    assert not TimeOff.objects.exists()
    assert set(Booking.objects.values_list("status", flat=True)) == {"confirmed"}
    time_off.time_off_create(
        specialist=specialist, cancel_conflicting=True, expected=[unseen.pk, shown.pk], **interval
    )
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}


def test_time_off_blocks_slots_it_overlaps_even_in_part_and_deleting_it_reopens_them(
    specialist_client, specialist
):
    slot = SlotFactory(specialist=specialist)
    body = {
        "start": (slot.start + dt.timedelta(minutes=45)).isoformat(),
        "end": (slot.end + dt.timedelta(hours=1)).isoformat(),
    }
    created = specialist_client.post("/api/v1/time-off/", body, format="json")
    assert created.status_code == 201
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BLOCKED
    assert specialist_client.delete(f"/api/v1/time-off/{created.json()['id']}/").status_code == 204
    slot.refresh_from_db()
    assert slot.status == Slot.Status.OPEN


def test_rule_slots_created_inside_time_off_are_blocked(specialist, add_rule):
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=UTC), tick=False):
        time_off.time_off_create(specialist=specialist, start=utc(2027, 1, 6), end=utc(2027, 1, 7))
        add_rule(weekday=2)
    statuses = {s.start.date(): s.status for s in Slot.objects.all()}
    assert statuses[dt.date(2027, 1, 6)] == Slot.Status.BLOCKED
    assert statuses[dt.date(2027, 1, 13)] == Slot.Status.OPEN


def test_a_deleted_slot_kept_for_its_history_stays_retired_when_time_off_goes(specialist):
    booking = BookingFactory(slot__specialist=specialist)
    slot = booking.slot
    off = time_off.time_off_create(
        specialist=specialist, start=slot.start, end=slot.end, cancel_conflicting=True
    ).time_off
    slots.slot_delete(slot=slot)
    time_off.time_off_delete(time_off=off)

    slot.refresh_from_db()
    assert slot.status == Slot.Status.RETIRED


def test_deleting_a_rule_then_its_time_off_reopens_nothing(specialist, add_rule):
    rule = add_rule()
    first = rule.slots.order_by("start").first()
    off = time_off.time_off_create(specialist=specialist, start=first.start, end=first.end).time_off
    rules.rule_delete(rule=rule)
    time_off.time_off_delete(time_off=off)
    assert not Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).exists()


def test_deleting_time_off_retires_a_withdrawn_slot(specialist, add_rule, book_slot):
    rule = add_rule()
    booking = book_slot(rule.slots.order_by("start").last())
    rules.rule_delete(rule=rule)
    slot = booking.slot
    off = time_off.time_off_create(
        specialist=specialist, start=slot.start, end=slot.end, cancel_conflicting=True
    ).time_off
    time_off.time_off_delete(time_off=off)

    slot.refresh_from_db()
    assert slot.status == Slot.Status.RETIRED


def test_deleting_time_off_leaves_closed_what_other_time_off_covers_in_a_few_queries(
    specialist, django_assert_max_num_queries, add_rule
):
    rule = add_rule(end_time=dt.time(17))  # 8 hour-long slots a week
    slots = list(rule.slots.order_by("start")[:16])  # two weeks
    first = time_off.time_off_create(specialist=specialist, start=slots[0].start, end=slots[15].end).time_off
    second = time_off.time_off_create(specialist=specialist, start=slots[8].start, end=slots[15].end).time_off

    # The lock, three updates, the audit event, the delete, its SET NULL and its idempotency
    # keys' cascade (and the test's savepoint and release), however many slots.
    with django_assert_max_num_queries(10):
        time_off.time_off_delete(time_off=first)

    statuses = [Slot.objects.values_list("status", "time_off").get(pk=s.pk) for s in slots]
    assert statuses == [("open", None)] * 8 + [("blocked", second.pk)] * 8


def test_the_same_key_twice_takes_the_time_off_once(specialist):
    interval = {"start": utc(2030, 1, 7, 9), "end": utc(2030, 1, 7, 17), "reason": "Course"}
    first = time_off.time_off_create(specialist=specialist, idempotency_key="k-1", **interval)
    again = time_off.time_off_create(specialist=specialist, idempotency_key="k-1", **interval)
    assert TimeOff.objects.filter(specialist=specialist).count() == 1
    assert (again.time_off, again.replayed, first.replayed) == (first.time_off, True, False)


def test_the_same_key_with_other_times_is_refused(specialist):
    start = utc(2030, 1, 7, 9)
    time_off.time_off_create(
        specialist=specialist, start=start, end=utc(2030, 1, 7, 12), idempotency_key="k-1"
    )
    with pytest.raises(Conflict) as refused:
        time_off.time_off_create(
            specialist=specialist, start=start, end=utc(2030, 1, 7, 17), idempotency_key="k-1"
        )
    assert refused.value.code == "idempotency_key_reused"
    assert TimeOff.objects.filter(specialist=specialist).count() == 1


def test_the_same_key_with_other_times_says_so(specialist):
    start = utc(2030, 1, 7, 9)
    time_off.time_off_create(
        specialist=specialist, start=start, end=utc(2030, 1, 7, 12), idempotency_key="k-1"
    )
    with pytest.raises(Conflict) as refused:
        time_off.time_off_create(
            specialist=specialist, start=start, end=utc(2030, 1, 7, 17), idempotency_key="k-1"
        )
    assert refused.value.detail == "This key was used with another request."
