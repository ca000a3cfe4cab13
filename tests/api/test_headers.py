"""Headers: an Accept the API cannot satisfy (406), a bad idempotency key (400, nothing
written), a bad Authorization (401); and `Cache-Control: no-store` on every answer that may
carry PHI (an authenticated caller's, errors included, a new token, a join link's), while an
anonymous read of the public catalogue keeps its caching."""

from __future__ import annotations

import pytest
import time_machine

from scheduling.services import bookings
from scheduling.video import Participant, join_url
from tests.api.contract import assert_error, database, new_client, send
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["slots/", "bookings/", "bookings/{booking}/calendar.ics"])
def test_an_accept_header_the_api_cannot_satisfy_answers_406(world, path):
    url = "/api/v1/" + path.format(booking=world.booking.pk)
    response = world.client("patient").get(url, HTTP_ACCEPT="application/xml")
    assert assert_error(response, 406)["code"] == "not_acceptable"


@pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9\u0000", "line\nbreak"])
def test_a_bad_idempotency_key_answers_400_and_writes_nothing(world, key):
    before = database()
    client = world.client("patient")
    response = send(
        client, "POST", "/api/v1/bookings/", world.valid_body("booking_create"), HTTP_IDEMPOTENCY_KEY=key
    )
    assert_error(response, 400)
    assert database() == before


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token nonexistent", "Token caf\u00e9", "Basic Zm9vOmJhcg==", "Bearer x"]
)
def test_a_bad_authorization_header_answers_401(world, header):
    response = new_client().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert assert_error(response, 401)["code"] in ("not_authenticated", "authentication_failed")


# --- Cache-Control: answers that carry PHI are never stored --------------------------------------


def stored(response) -> bool:
    """Whether a browser or a proxy may keep a copy of the answer."""
    return "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("role", ["patient", "specialist", "admin"])
@pytest.mark.parametrize(
    "path", ["me/", "bookings/", "bookings/{booking}/", "bookings/{booking}/calendar.ics", "slots/"]
)
def test_an_authenticated_answer_is_never_stored(world, role, path):
    response = world.client(role).get("/api/v1/" + path.format(booking=world.booking.pk))
    assert response.status_code in (200, 403, 404)
    assert not stored(response)


@pytest.mark.parametrize(
    "request_",
    [
        ("GET", "bookings/999999/", 404),
        ("GET", "no-such-endpoint/", 404),
        ("DELETE", "me/", 405),
        ("POST", "bookings/", 400),
    ],
)
def test_an_authenticated_error_is_never_stored(world, request_):
    method, path, status = request_
    response = send(world.client("patient"), method, "/api/v1/" + path, {"slot": "x"})
    assert_error(response, status)
    assert not stored(response)


def test_an_answer_to_a_request_with_credentials_is_never_stored(world):
    response = new_client().get("/api/v1/bookings/", HTTP_AUTHORIZATION="Token nonexistent")
    assert_error(response, 401)
    assert not stored(response)


def test_the_browsable_api_signed_in_by_session_is_never_stored(world):
    client = new_client()
    client.force_login(world.patient.user)
    response = client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert not stored(response)


@pytest.mark.parametrize("endpoint", ["token", "register"])
def test_an_answer_carrying_a_new_token_is_never_stored(world, endpoint):
    response = world.call(endpoint, world.valid_body(endpoint))
    assert response.status_code in (200, 201) and "token" in response.json()
    assert not stored(response)


def test_a_join_link_answer_is_never_stored():
    booking = bookings.booking_create(user=PatientFactory().user, slot_id=SlotFactory().pk).booking
    token = join_url(booking, Participant.PATIENT).rsplit("/", 1)[1]
    with time_machine.travel(booking.slot.start, tick=False):
        for url in (f"/api/v1/visits/join/{token}/", f"/v/{token}"):
            response = new_client().get(url, HTTP_ACCEPT="application/json")
            assert response.status_code == 200, response.content
            assert not stored(response)


@pytest.mark.parametrize("path", ["slots/", "visit-types/", "specialties/"])
def test_an_anonymous_public_read_keeps_its_caching(world, path):
    response = world.client("anon").get("/api/v1/" + path)
    assert response.status_code == 200
    assert stored(response)


@pytest.mark.parametrize("path", ["slots/", "slots/next-available/"])
def test_the_public_search_answers_a_browser_without_a_login(world, path):
    # The browsable API built a filter form from the caller's own slots: 500 for an anonymous one.
    response = world.client("anon").get("/api/v1/" + path, HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("text/html")
