"""Weekly rules in wall-clock time, across DST, and the slots they materialize."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from scheduling.models import AvailabilityRule, Slot
from scheduling.services import availability, bookings
from tests.factories import BookingFactory, RuleFactory, SlotFactory, VisitTypeFactory

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
pytestmark = pytest.mark.django_db


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def intervals(rule, since, until, minutes=60):
    return list(availability.rule_intervals(rule, NY, dt.timedelta(minutes=minutes), since, until))


def test_nine_in_new_york_stays_nine_across_the_march_switch():
    rule = AvailabilityRule(
        weekday=0, start_time=dt.time(9), end_time=dt.time(10), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 3, 1), utc(2027, 3, 23))
    assert [i.start for i in found] == [
        utc(2027, 3, 1, 14),
        utc(2027, 3, 8, 14),
        utc(2027, 3, 15, 13),
        utc(2027, 3, 22, 13),
    ]
    assert all(i.start.astimezone(NY).hour == 9 for i in found)


def test_nine_in_new_york_stays_nine_across_the_november_switch():
    rule = AvailabilityRule(
        weekday=0, start_time=dt.time(9), end_time=dt.time(10), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 11, 1), utc(2027, 11, 9))
    assert [i.start for i in found] == [utc(2027, 11, 1, 13), utc(2027, 11, 8, 14)]
    assert all(i.start.astimezone(NY).hour == 9 for i in found)


def test_times_skipped_by_spring_forward_yield_no_slot():
    # 2027-03-14 is a Sunday: New York's clocks jump from 02:00 to 03:00.
    rule = AvailabilityRule(
        weekday=6, start_time=dt.time(1), end_time=dt.time(4), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 3, 14), utc(2027, 3, 15), minutes=30)
    local = [i.start.astimezone(NY).strftime("%H:%M") for i in found]
    assert local == ["01:00", "01:30", "03:00", "03:30"]
    ends = [i.end for i in found]
    assert all(e - s.start == dt.timedelta(minutes=30) for e, s in zip(ends, found, strict=True))


def test_times_repeated_by_fall_back_yield_one_slot_at_the_first_occurrence():
    # 2027-11-07 is a Sunday: 01:00-02:00 happens twice in New York.
    rule = AvailabilityRule(
        weekday=6, start_time=dt.time(1), end_time=dt.time(2), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 11, 7), utc(2027, 11, 8), minutes=30)
    assert [i.start for i in found] == [utc(2027, 11, 7, 5), utc(2027, 11, 7, 5, 30)]  # 01:00, 01:30 EDT


def test_rule_slots_never_overlap_on_the_fall_back_night():
    rule = AvailabilityRule(
        weekday=6, start_time=dt.time(0), end_time=dt.time(4), valid_from=dt.date(2027, 1, 1)
    )
    found = intervals(rule, utc(2027, 11, 7), utc(2027, 11, 8))
    # 00:00 and 01:00 EDT, then 02:00 and 03:00 EST: the repeated hour gives no second slot.
    assert [i.start for i in found] == [utc(2027, 11, 7, h) for h in (4, 5, 7, 8)]
    for earlier, later in itertools.pairwise(found):
        assert earlier.end <= later.start


@time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False)
def test_materialized_slots_keep_wall_clock_time_across_dst(specialist_client, specialist):
    consult = specialist.visit_types.get(slug="consult")
    response = specialist_client.post(
        "/api/v1/availability-rules/",
        {"weekday": 0, "start_time": "09:00", "end_time": "11:00", "visit_type": consult.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    starts = list(
        Slot.objects.filter(specialist=specialist).order_by("start").values_list("start", flat=True)
    )
    assert {s.astimezone(NY).time() for s in starts} == {dt.time(9), dt.time(10)}
    assert {s.astimezone(UTC).hour for s in starts} == {13, 14, 15}  # EST then EDT


@time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=UTC), tick=False)
def test_rule_slots_exist_over_the_whole_horizon_when_create_returns(specialist_client, specialist, settings):
    consult = specialist.visit_types.get(slug="consult")
    specialist_client.post(
        "/api/v1/availability-rules/",
        {"weekday": 2, "start_time": "09:00", "end_time": "12:00", "visit_type": consult.pk},
        format="json",
    )
    slots = Slot.objects.filter(specialist=specialist)
    assert slots.count() == 9 * 3  # Wednesdays from 2027-01-06 to 2027-03-03, three visits each
    assert max(slots.values_list("start", flat=True)) < timezone.now() + dt.timedelta(
        days=settings.BOOKING_HORIZON_DAYS
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"weekday": 7}, "weekday"),
        ({"weekday": -1}, "weekday"),
        ({"start_time": "12:00", "end_time": "09:00"}, "end_time"),
        ({"start_time": "09:00", "end_time": "09:30"}, "end_time"),  # shorter than one 60-minute visit
        ({"valid_from": "2030-01-10", "valid_until": "2030-01-01"}, "valid_until"),
        ({"start_time": "09:00:30"}, "start_time"),  # slots would start before the window
        ({"end_time": "12:00:00.5"}, "end_time"),
    ],
)
def test_invalid_rules_are_refused_by_field(specialist_client, specialist, data, field):
    consult = specialist.visit_types.get(slug="consult")
    body = {"weekday": 0, "start_time": "09:00", "end_time": "12:00", "visit_type": consult.pk, **data}
    response = specialist_client.post("/api/v1/availability-rules/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not AvailabilityRule.objects.exists()
    assert not Slot.objects.exists()


def test_overlapping_rules_are_refused(specialist_client, specialist):
    RuleFactory(specialist=specialist, weekday=0, start_time=dt.time(9), end_time=dt.time(12))
    consult = specialist.visit_types.get(slug="consult")
    response = specialist_client.post(
        "/api/v1/availability-rules/",
        {"weekday": 0, "start_time": "11:00", "end_time": "13:00", "visit_type": consult.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "rule_overlaps"


def test_rules_on_other_days_or_back_to_back_do_not_overlap(specialist_client, specialist):
    RuleFactory(specialist=specialist, weekday=0, start_time=dt.time(9), end_time=dt.time(12))
    consult = specialist.visit_types.get(slug="consult")
    for body in (
        {"weekday": 1, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 0, "start_time": "12:00", "end_time": "14:00"},
    ):
        response = specialist_client.post(
            "/api/v1/availability-rules/", {**body, "visit_type": consult.pk}, format="json"
        )
        assert response.status_code == 201, response.json()


def _rule_via_service(specialist, **kwargs):
    consult = specialist.visit_types.get(slug="consult")
    defaults = {
        "weekday": timezone.now().weekday(),
        "start_time": dt.time(9),
        "end_time": dt.time(12),
        "visit_type": consult,
    }
    return availability.rule_create(specialist=specialist, **{**defaults, **kwargs})


def test_editing_a_rule_regenerates_open_slots_and_keeps_booked_ones(specialist_client, specialist):
    rule = _rule_via_service(specialist)
    booked_slot = rule.slots.order_by("start").first()
    booking = BookingFactory(slot=booked_slot)
    Slot.objects.filter(pk=booked_slot.pk).update(status=Slot.Status.BOOKED)
    response = specialist_client.patch(
        f"/api/v1/availability-rules/{rule.pk}/", {"end_time": "10:00"}, format="json"
    )
    assert response.status_code == 200
    booked_slot.refresh_from_db()
    assert booked_slot.status == Slot.Status.BOOKED
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    open_local = {s.start.astimezone(NY).time() for s in rule.slots.filter(status=Slot.Status.OPEN)}
    assert open_local <= {dt.time(9)}


def test_deleting_a_rule_removes_its_open_slots_only(specialist_client, specialist):
    rule = _rule_via_service(specialist)
    booked_slot = rule.slots.order_by("start").first()
    Slot.objects.filter(pk=booked_slot.pk).update(status=Slot.Status.BOOKED)
    BookingFactory(slot=booked_slot)
    assert specialist_client.delete(f"/api/v1/availability-rules/{rule.pk}/").status_code == 204
    assert list(Slot.objects.filter(specialist=specialist).values_list("pk", flat=True)) == [booked_slot.pk]


def test_a_specialist_cannot_see_or_change_another_specialists_rule(specialist_client):
    other = RuleFactory()
    assert specialist_client.get(f"/api/v1/availability-rules/{other.pk}/").status_code == 404
    assert (
        specialist_client.patch(
            f"/api/v1/availability-rules/{other.pk}/", {"end_time": "10:00"}, format="json"
        ).status_code
        == 404
    )
    assert specialist_client.delete(f"/api/v1/availability-rules/{other.pk}/").status_code == 404


def test_patients_cannot_manage_availability(patient_client):
    assert patient_client.get("/api/v1/availability-rules/").status_code == 403
    assert patient_client.post("/api/v1/time-off/", {}, format="json").status_code == 403


def test_admin_manages_a_named_specialists_rules(admin_client, specialist):
    consult = specialist.visit_types.get(slug="consult")
    body = {"weekday": 3, "start_time": "09:00", "end_time": "10:00", "visit_type": consult.pk}
    missing = admin_client.post("/api/v1/availability-rules/", body, format="json")
    assert missing.status_code == 400
    assert "specialist" in missing.json()["fields"]
    created = admin_client.post(
        "/api/v1/availability-rules/", {**body, "specialist": specialist.pk}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["specialist"] == specialist.pk


def test_horizon_extension_is_idempotent_and_follows_the_clock(specialist):
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=UTC), tick=False):
        _rule_via_service(specialist, weekday=2)
        first = Slot.objects.count()
        assert availability.slots_extend_horizon() == 0
    with time_machine.travel(dt.datetime(2027, 1, 11, 12, tzinfo=UTC), tick=False):
        assert availability.slots_extend_horizon() == 3  # one more Wednesday came into the horizon
    assert Slot.objects.count() == first + 3


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


def test_rule_slots_created_inside_time_off_are_blocked(specialist):
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=UTC), tick=False):
        availability.time_off_create(specialist=specialist, start=utc(2027, 1, 6), end=utc(2027, 1, 7))
        _rule_via_service(specialist, weekday=2)
    statuses = {s.start.date(): s.status for s in Slot.objects.all()}
    assert statuses[dt.date(2027, 1, 6)] == Slot.Status.BLOCKED
    assert statuses[dt.date(2027, 1, 13)] == Slot.Status.OPEN


def test_rule_for_a_visit_type_the_specialist_does_not_offer_is_refused(specialist_client):
    other = VisitTypeFactory(slug="long", duration_minutes=90)
    response = specialist_client.post(
        "/api/v1/availability-rules/",
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00", "visit_type": other.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "visit_type_not_offered"


def test_a_deleted_slot_kept_for_its_history_stays_retired_when_time_off_goes(specialist):
    booking = BookingFactory(slot__specialist=specialist)
    slot = booking.slot
    off = availability.time_off_create(
        specialist=specialist, start=slot.start, end=slot.end, cancel_conflicting=True
    )
    availability.slot_delete(slot=slot)
    availability.time_off_delete(time_off=off)

    slot.refresh_from_db()
    assert slot.status == Slot.Status.RETIRED


def test_deleting_a_rule_then_its_time_off_reopens_nothing(specialist):
    rule = _rule_via_service(specialist)
    first = rule.slots.order_by("start").first()
    off = availability.time_off_create(specialist=specialist, start=first.start, end=first.end)
    availability.rule_delete(rule=rule)
    availability.time_off_delete(time_off=off)
    assert not Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).exists()


def _booked(slot):
    Slot.objects.filter(pk=slot.pk).update(status=Slot.Status.BOOKED)
    return BookingFactory(slot=slot, patient__state="NY")


def _cancel(booking):
    bookings.booking_cancel(booking=booking, by=booking.slot.specialist.user)
    booking.slot.refresh_from_db()
    return booking.slot


def test_a_booked_slot_of_a_deleted_rule_retires_when_its_visit_is_cancelled(specialist):
    rule = _rule_via_service(specialist)
    booking = _booked(rule.slots.order_by("start").last())
    availability.rule_delete(rule=rule)

    booking.slot.refresh_from_db()
    assert (booking.slot.withdrawn, booking.slot.rule, booking.slot.status) == (True, None, "booked")

    slot = _cancel(booking)
    assert slot.status == Slot.Status.RETIRED
    assert not Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).exists()


def test_a_booked_slot_an_edit_moved_away_from_retires_when_its_visit_is_moved(specialist):
    rule = _rule_via_service(specialist)  # 09:00-12:00, hour-long consults
    booking = _booked(rule.slots.order_by("start").last())
    availability.rule_update(rule=rule, changes={"start_time": dt.time(9, 30), "end_time": dt.time(12, 30)})
    target = Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).order_by("start").last()

    bookings.booking_reschedule(booking=booking, slot_id=target.pk, by=specialist.user)
    booking.slot.refresh_from_db()
    assert (booking.slot.status, booking.slot.rule, booking.slot.withdrawn) == ("retired", None, True)


def test_a_booked_slot_of_a_rule_now_for_another_visit_type_is_withdrawn(specialist):
    rule = _rule_via_service(specialist)
    booking = _booked(rule.slots.order_by("start").last())
    other = VisitTypeFactory(slug="consult-2", duration_minutes=60)  # same length, same times
    specialist.visit_types.add(other)
    availability.rule_update(rule=rule, changes={"visit_type": other})

    slot = _cancel(booking)
    assert (slot.status, slot.withdrawn) == (Slot.Status.RETIRED, True)


def test_a_booked_slot_the_edited_rule_still_yields_reopens_when_cancelled(specialist):
    rule = _rule_via_service(specialist)
    booking = _booked(rule.slots.order_by("start").last())
    availability.rule_update(rule=rule, changes={"end_time": dt.time(13)})

    slot = _cancel(booking)
    assert slot.status == Slot.Status.OPEN
    assert slot.rule_id == rule.pk


def test_deleting_time_off_retires_a_withdrawn_slot(specialist):
    rule = _rule_via_service(specialist)
    booking = _booked(rule.slots.order_by("start").last())
    availability.rule_delete(rule=rule)
    slot = booking.slot
    off = availability.time_off_create(
        specialist=specialist, start=slot.start, end=slot.end, cancel_conflicting=True
    )
    availability.time_off_delete(time_off=off)

    slot.refresh_from_db()
    assert slot.status == Slot.Status.RETIRED


def test_the_time_of_a_retired_slot_is_offered_again_by_the_edited_rule(specialist):
    rule = _rule_via_service(specialist)  # 09:00-12:00, hour-long consults
    booking = _booked(rule.slots.order_by("start").last())  # an 11:00 visit
    availability.rule_update(rule=rule, changes={"start_time": dt.time(9, 30), "end_time": dt.time(12, 30)})
    day = booking.slot.start.astimezone(NY).date()
    assert _local_starts(specialist, day) == [dt.time(9, 30)]  # the 11:00 visit is in the way

    _cancel(booking)
    availability.slots_extend(specialist=specialist)
    assert _local_starts(specialist, day) == [dt.time(9, 30), dt.time(10, 30), dt.time(11, 30)]


def _local_starts(specialist, day):
    open_slots = Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).order_by("start")
    return [s.start.astimezone(NY).time() for s in open_slots if s.start.astimezone(NY).date() == day]


def test_a_retired_slot_cannot_be_deleted_or_seen_as_a_managed_slot(specialist_client, specialist):
    rule = _rule_via_service(specialist)
    booking = _booked(rule.slots.order_by("start").last())
    availability.rule_delete(rule=rule)
    _cancel(booking)
    assert specialist_client.delete(f"/api/v1/slots/{booking.slot.pk}/").status_code == 404


def test_deleting_time_off_leaves_closed_what_other_time_off_covers_in_a_few_queries(
    specialist, django_assert_max_num_queries
):
    rule = _rule_via_service(specialist, end_time=dt.time(17))  # 8 hour-long slots a week
    slots = list(rule.slots.order_by("start")[:16])  # two weeks
    first = availability.time_off_create(specialist=specialist, start=slots[0].start, end=slots[15].end)
    second = availability.time_off_create(specialist=specialist, start=slots[8].start, end=slots[15].end)

    # The lock, three updates, the delete and its SET NULL (and the test's savepoint and release),
    # however many slots.
    with django_assert_max_num_queries(8):
        availability.time_off_delete(time_off=first)

    statuses = [Slot.objects.values_list("status", "time_off").get(pk=s.pk) for s in slots]
    assert statuses == [("open", None)] * 8 + [("blocked", second.pk)] * 8
