"""Slot search and next-available, as a patient looking for the soonest visit sees them."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import VisitType
from scheduling import selectors
from scheduling.sql import BookableSlot
from tests.factories import BookingFactory, FollowUpFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


def at(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


def ids(response):
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def test_search_lists_open_slots_in_order_with_the_contract_fields(anon):
    later = SlotFactory(start=at(50))
    sooner = SlotFactory(specialist=later.specialist, start=at(30))
    response = anon.get("/api/v1/slots/")
    assert ids(response) == [sooner.pk, later.pk]
    assert set(response.json()["results"][0]) == {"id", "specialist", "visit_type", "start", "end"}


def test_search_hides_booked_blocked_too_soon_and_beyond_the_horizon(anon):
    specialist = SpecialistFactory()
    visible = SlotFactory(specialist=specialist, start=at(3))
    SlotFactory(specialist=specialist, start=at(1))  # inside the 2 h minimum notice
    SlotFactory(specialist=specialist, start=at(24 * 61))  # beyond the 60-day horizon
    SlotFactory(specialist=specialist, start=at(10), status="blocked")
    BookingFactory(slot__specialist=specialist, slot__start=at(20))
    assert ids(anon.get("/api/v1/slots/")) == [visible.pk]


def test_search_by_state_needs_a_license_valid_on_the_visit_date(anon):
    specialist = SpecialistFactory(states=[])
    specialist.licenses.create(state="NY", number="1", expires_on=timezone.localdate() + dt.timedelta(days=4))
    inside = SlotFactory(specialist=specialist, start=at(48))
    SlotFactory(specialist=specialist, start=at(24 * 8))
    SlotFactory(specialist=SpecialistFactory(states=["CA"]), start=at(48))
    assert ids(anon.get("/api/v1/slots/?state=NY")) == [inside.pk]
    assert ids(anon.get("/api/v1/slots/?state=ny")) == [inside.pk]


def test_search_by_specialty_specialist_visit_type_and_window(anon):
    pain = SpecialistFactory(specialties=["chronic-pain"])
    sleep = SpecialistFactory(specialties=["sleep"])
    a = SlotFactory(specialist=pain, start=at(30))
    b = SlotFactory(specialist=pain, start=at(80))
    c = SlotFactory(specialist=sleep, start=at(40))
    assert ids(anon.get("/api/v1/slots/?specialty=chronic-pain")) == [a.pk, b.pk]
    assert ids(anon.get(f"/api/v1/slots/?specialist={sleep.pk}")) == [c.pk]
    consult = VisitType.objects.get(slug="consult")
    assert ids(anon.get(f"/api/v1/slots/?visit_type={consult.pk}&specialty=sleep")) == [c.pk]
    window = {"start_after": at(30).isoformat(), "start_before": at(80).isoformat()}
    assert ids(anon.get("/api/v1/slots/", window)) == [a.pk, c.pk]  # after inclusive, before exclusive


def test_search_hides_inactive_specialists_and_visit_types_no_longer_offered(anon):
    SlotFactory(specialist=SpecialistFactory(is_active=False))
    dropped = SlotFactory()
    dropped.specialist.visit_types.remove(dropped.visit_type)
    assert ids(anon.get("/api/v1/slots/")) == []


def test_next_available_gives_each_specialists_earliest_slot_soonest_first(anon):
    first_doc = SpecialistFactory(specialties=["chronic-pain"])
    second_doc = SpecialistFactory(specialties=["chronic-pain"])
    SlotFactory(specialist=first_doc, start=at(70))
    earliest_first = SlotFactory(specialist=first_doc, start=at(40))
    earliest_second = SlotFactory(specialist=second_doc, start=at(10))
    SlotFactory(specialist=second_doc, start=at(20))
    SlotFactory(specialist=SpecialistFactory(specialties=["sleep"]), start=at(5))
    url = "/api/v1/slots/next-available/?specialty=chronic-pain&state=NY"
    assert ids(anon.get(url)) == [earliest_second.pk, earliest_first.pk]


def test_next_available_skips_slots_a_patient_could_not_book(anon):
    doc = SpecialistFactory(specialties=["chronic-pain"], states=[])
    doc.licenses.create(state="NY", number="1", expires_on=timezone.localdate() + dt.timedelta(days=365))
    BookingFactory(slot__specialist=doc, slot__start=at(5))
    SlotFactory(specialist=doc, start=at(1))  # too soon
    bookable = SlotFactory(specialist=doc, start=at(9))
    assert ids(anon.get("/api/v1/slots/next-available/?specialty=chronic-pain&state=NY")) == [bookable.pk]
    assert ids(anon.get("/api/v1/slots/next-available/?specialty=chronic-pain&state=TX")) == []


def test_a_specialist_not_accepting_new_patients_lists_follow_ups_only(anon):
    closed = SpecialistFactory(accepting_new_patients=False)
    follow_up = FollowUpFactory()
    closed.visit_types.add(follow_up)
    SlotFactory(specialist=closed, start=at(30))  # a new-patient consult: nobody new may book it
    listed = SlotFactory(specialist=closed, visit_type=follow_up, start=at(40))
    open_one = SlotFactory(start=at(50))

    assert ids(anon.get("/api/v1/slots/")) == [listed.pk, open_one.pk]
    next_available = ids(anon.get("/api/v1/slots/next-available/"))
    assert next_available == [listed.pk, open_one.pk]


def test_search_rows_are_written_exactly_as_the_slot_serializer_writes_them(anon):
    from scheduling import serializers

    slots = [SlotFactory(start=at(30)), SlotFactory(start=at(40) + dt.timedelta(microseconds=1500))]

    body = anon.get("/api/v1/slots/").json()["results"]

    assert body == serializers.SlotOut(sorted(slots, key=lambda s: s.start), many=True).data
    assert body[0]["start"].endswith("Z")


def test_search_pages_through_every_match_with_the_total(anon):
    specialist = SpecialistFactory()
    slots = [SlotFactory(specialist=specialist, start=at(10 + 2 * i)) for i in range(7)]
    SlotFactory(start=at(11), status="blocked")  # counted by nobody

    first = anon.get("/api/v1/slots/", {"page_size": 3}).json()
    last = anon.get("/api/v1/slots/", {"page_size": 3, "page": 3}).json()

    assert (first["count"], [s["id"] for s in first["results"]]) == (7, [s.pk for s in slots[:3]])
    assert first["previous"] is None and "page=2" in first["next"]
    assert (last["count"], [s["id"] for s in last["results"]]) == (7, [slots[6].pk])
    assert last["next"] is None
    assert anon.get("/api/v1/slots/", {"page_size": 3, "page": 4}).status_code == 404


def test_next_available_for_a_visit_type_and_state_skips_specialists_who_cannot_match(anon):
    licensed = SlotFactory(start=at(30))  # the factory's specialist is licensed in NY
    SlotFactory(specialist=licensed.specialist, start=at(40))
    unlicensed = SlotFactory(start=at(20))
    unlicensed.specialist.licenses.all().delete()
    SlotFactory(start=at(10), visit_type=FollowUpFactory())  # soonest, of another visit type

    found = ids(
        anon.get("/api/v1/slots/next-available/", {"state": "NY", "visit_type": licensed.visit_type_id})
    )
    assert found == [licensed.pk]


def test_a_license_counts_through_the_utc_day_it_expires_in_search_and_booking(anon, patient_client):
    last_day = (timezone.now() + dt.timedelta(days=5)).date()
    specialist = SpecialistFactory(states=[])
    specialist.licenses.create(state="NY", number="1", expires_on=last_day)
    late = dt.datetime.combine(last_day, dt.time(23, 0), tzinfo=dt.UTC)
    covered = SlotFactory(specialist=specialist, start=late)
    after = SlotFactory(specialist=specialist, start=late + dt.timedelta(hours=1))  # next UTC day

    assert ids(anon.get("/api/v1/slots/", {"state": "NY"})) == [covered.pk]
    refused = patient_client.post("/api/v1/bookings/", {"slot": after.pk}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "not_licensed_in_state")
    assert patient_client.post("/api/v1/bookings/", {"slot": covered.pk}, format="json").status_code == 201


def test_search_and_next_available_give_typed_records_any_interface_can_render():
    slot = SlotFactory(start=at(30))
    expected = BookableSlot(
        id=slot.pk,
        specialist_id=slot.specialist_id,
        visit_type_id=slot.visit_type_id,
        start=slot.start,
        end=slot.end,
    )
    assert selectors.slots_bookable()[:10] == [expected]
    assert selectors.slots_next_available().first() == expected
