"""Unknown and hostile ids in the path, and other people's objects, answer 404 (not 403: an id
that is not yours is as unknown as one that does not exist) and write nothing."""

from __future__ import annotations

import pytest

from scheduling.models import Booking
from tests.api.contract import WITH_FIELDS, WITH_ID, assert_error, database, names

pytestmark = pytest.mark.django_db


# --- Unknown and hostile ids in the path --------------------------------------------------------

BAD_PATH_IDS = ["99999999", "abc", "-1", "0", "99999999999999999999", "1.5", "%00", "%ED%A0%80"]


@pytest.mark.parametrize("pk", BAD_PATH_IDS)
@pytest.mark.parametrize("endpoint", WITH_ID)
def test_an_unknown_id_answers_404_and_writes_nothing(world, endpoint, pk):
    before = database()
    body = world.valid_body(endpoint) if endpoint in WITH_FIELDS else None
    response = world.call(endpoint, body, pk=pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


@pytest.mark.parametrize(
    "url",
    [
        "bookings/{}/",
        "specialists/{}/",
        "availability-rules/{}/",
        "time-off/{}/",
        "bookings/{}/calendar.ics",
    ],
)
@pytest.mark.parametrize("pk", BAD_PATH_IDS)
def test_reading_an_unknown_id_answers_404(world, url, pk):
    client = world.client("specialist" if "rule" in url or "time-off" in url else "patient")
    assert assert_error(client.get("/api/v1/" + url.format(pk)), 404)["code"] == "not_found"


# --- Other people's objects answer 404, not 403 -------------------------------------------------


def test_a_patient_reading_another_patients_booking_gets_404(world):
    response = world.client("patient").get(f"/api/v1/bookings/{world.other_booking.pk}/")
    assert assert_error(response, 404)["code"] == "not_found"


def test_a_patient_reading_another_patients_calendar_file_gets_404(world):
    response = world.client("patient").get(f"/api/v1/bookings/{world.other_booking.pk}/calendar.ics")
    assert assert_error(response, 404)["code"] == "not_found"


@pytest.mark.parametrize("action", ["cancel", "reschedule"])
def test_a_patient_acting_on_another_patients_booking_gets_404_and_writes_nothing(world, action):
    before = database()
    response = world.call(action, world.valid_body(action), pk=world.other_booking.pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


@pytest.mark.parametrize("action", ["complete", "no_show", "cancel"])
def test_a_specialist_acting_on_another_specialists_booking_gets_404(world, action):
    before = database()
    body = world.valid_body(action) if action == "cancel" else None
    response = world.call(action, body, role="specialist", pk=world.other_booking.pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


def test_a_specialist_changing_another_specialists_rule_gets_404_and_writes_nothing(world):
    before = database()
    response = world.call("rule_update", {"end_time": "11:00"}, pk=world.other_rule.pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


@pytest.mark.parametrize(
    ("endpoint", "attribute"),
    [("rule_delete", "other_rule"), ("time_off_delete", "other_time_off"), ("slot_delete", "other_slot")],
)
def test_a_specialist_deleting_another_specialists_object_gets_404_and_writes_nothing(
    world, endpoint, attribute
):
    before = database()
    response = world.call(endpoint, pk=getattr(world, attribute).pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


def test_a_patient_rescheduling_onto_an_unknown_slot_changes_nothing(world):
    before = database()
    response = world.call("reschedule", {"slot": 99_999_999})
    assert names(assert_error(response, 400), "slot")
    assert database() == before
    assert Booking.objects.get(pk=world.booking.pk).status == Booking.Status.CONFIRMED


def test_a_patient_removing_another_patients_caregiver_gets_404_and_writes_nothing(world):
    before = database()
    response = world.call("caregiver_delete", pk=world.other_caregiver.pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before
