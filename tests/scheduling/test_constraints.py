"""A constraint violation that reaches the database answers 409, never 500."""

import datetime as dt

import pytest

from scheduling import sql
from scheduling.models import Booking, Slot
from scheduling.services import slots
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_service_checks(monkeypatch):
    """Switch off the service's own checks, as a race between them and the write would."""
    monkeypatch.setattr(slots.Occupancy, "overlaps", lambda self, candidate: False)


@pytest.mark.postgres
def test_overlapping_slot_past_the_service_hits_the_exclusion_constraint_and_answers_409(
    specialist_client, specialist, no_service_checks
):
    slot = SlotFactory(specialist=specialist, visit_type=specialist.visit_types.get(slug="consult"))
    body = {"visit_type": slot.visit_type_id, "start": (slot.start + dt.timedelta(minutes=30)).isoformat()}
    response = specialist_client.post("/api/v1/slots/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Slot.objects.count() == 1


def test_same_start_past_the_service_hits_the_unique_index_and_answers_409(
    specialist_client, specialist, no_service_checks
):
    slot = SlotFactory(specialist=specialist, visit_type=specialist.visit_types.get(slug="consult"))
    body = {"visit_type": slot.visit_type_id, "start": slot.start.isoformat()}
    response = specialist_client.post("/api/v1/slots/", body, format="json")
    assert response.status_code == 409
    assert Slot.objects.count() == 1


def test_a_second_confirmed_booking_past_the_claim_answers_slot_unavailable(patient_client, monkeypatch):
    taken = BookingFactory()
    # As if the claim had let a second racer through (no status test): the index still refuses.
    unconditional = sql.CLAIM_SQL.replace("AND (scheduling_slot.status = %(open)s", "AND (TRUE")
    assert unconditional != sql.CLAIM_SQL
    monkeypatch.setattr(sql, "CLAIM_SQL", unconditional)
    response = patient_client.post("/api/v1/bookings/", {"slot": taken.slot_id}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert Booking.objects.filter(slot=taken.slot, status="confirmed").count() == 1
