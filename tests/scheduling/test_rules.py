"""Weekly rules: their checks, the slots they materialize over the horizon, and editing them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from scheduling.models import AvailabilityRule, Slot
from scheduling.services import bookings, rules
from tests.factories import BookingFactory, RuleFactory, VisitTypeFactory

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
pytestmark = pytest.mark.django_db


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


def test_editing_a_rule_regenerates_open_slots_and_keeps_booked_ones(specialist_client, specialist, add_rule):
    rule = add_rule()
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


def test_deleting_a_rule_removes_its_open_slots_only(specialist_client, specialist, add_rule):
    rule = add_rule()
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


def test_horizon_extension_is_idempotent_and_follows_the_clock(specialist, add_rule):
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=UTC), tick=False):
        add_rule(weekday=2)
        first = Slot.objects.count()
        assert rules.slots_extend_horizon() == 0
    with time_machine.travel(dt.datetime(2027, 1, 11, 12, tzinfo=UTC), tick=False):
        assert rules.slots_extend_horizon() == 3  # one more Wednesday came into the horizon
    assert Slot.objects.count() == first + 3


def test_rule_for_a_visit_type_the_specialist_does_not_offer_is_refused(specialist_client):
    other = VisitTypeFactory(slug="long", duration_minutes=90)
    response = specialist_client.post(
        "/api/v1/availability-rules/",
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00", "visit_type": other.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "visit_type_not_offered"


def test_the_time_of_a_retired_slot_is_offered_again_by_the_edited_rule(specialist, add_rule, book_slot):
    rule = add_rule()  # 09:00-12:00, hour-long consults
    booking = book_slot(rule.slots.order_by("start").last())  # an 11:00 visit
    rules.rule_update(rule=rule, changes={"start_time": dt.time(9, 30), "end_time": dt.time(12, 30)})
    day = booking.slot.start.astimezone(NY).date()
    assert _local_starts(specialist, day) == [dt.time(9, 30)]  # the 11:00 visit is in the way

    bookings.booking_cancel(booking=booking, by=specialist.user)
    rules.slots_extend(specialist=specialist)
    assert _local_starts(specialist, day) == [dt.time(9, 30), dt.time(10, 30), dt.time(11, 30)]


def _local_starts(specialist, day):
    open_slots = Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).order_by("start")
    return [s.start.astimezone(NY).time() for s in open_slots if s.start.astimezone(NY).date() == day]
