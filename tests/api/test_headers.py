"""Bad headers: an Accept the API cannot satisfy (406), a bad idempotency key (400, nothing
written), a bad Authorization (401)."""

from __future__ import annotations

import pytest

from tests.api.contract import assert_error, database, new_client, send

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
