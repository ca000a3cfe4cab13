"""Unknown paths, wrong methods, anonymous callers, roles that may not write, and throttling:
each answers its 4xx in the error shape and writes nothing."""

from __future__ import annotations

import pytest

from tests.api.contract import ENDPOINTS, WITH_FIELDS, assert_error, database, send

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope/", "/api/nope", "/api/v2/bookings/", "/api/v1/bookings/1/nope/", "/api/v1/%00/"],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_path_under_api_answers_a_json_404(world, path, method):
    response = send(world.client("patient"), method, path, {})
    assert assert_error(response, 404)["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/api/v1/bookings", "/api/v1/me", "/api/v1/auth/register", "/api/schema", "/api/docs"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_path_without_its_slash_answers_a_json_404_not_a_redirect(world, path, method):
    # A 301 would be followed as a GET: `POST bookings` would answer the list, booking nothing.
    before = database()
    response = send(world.client("patient"), method, path, world.valid_body("booking_create"))
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "auth/token/", "anon"),
        ("GET", "auth/logout/", "patient"),  # a prefetched link must not sign anyone out
        ("PUT", "auth/register/", "anon"),
        ("PUT", "me/", "patient"),
        ("DELETE", "me/", "patient"),
        ("DELETE", "specialists/{specialist}/", "admin"),
        ("PUT", "specialists/{specialist}/", "admin"),
        ("PATCH", "time-off/{time_off}/", "specialist"),
        ("PUT", "availability-rules/{rule}/", "specialist"),
        ("PATCH", "slots/{slot}/", "specialist"),
        ("PATCH", "bookings/{booking}/", "patient"),
        ("DELETE", "bookings/{booking}/", "patient"),
        ("GET", "bookings/{booking}/cancel/", "patient"),
        ("POST", "specialties/", "admin"),
        ("DELETE", "visit-types/", "admin"),
    ],
)
def test_a_wrong_method_answers_405_and_writes_nothing(world, method, path, role):
    before = database()
    url = "/api/v1/" + path.format(
        specialist=world.specialist.pk,
        time_off=world.time_off.pk,
        rule=world.rule.pk,
        slot=world.slot.pk,
        booking=world.booking.pk,
    )
    response = send(world.client(role), method, url, {})
    assert assert_error(response, 405)["code"] == "method_not_allowed"
    assert database() == before


@pytest.mark.parametrize("endpoint", [name for name, (_, _, role) in ENDPOINTS.items() if role != "anon"])
def test_an_anonymous_write_answers_401_and_writes_nothing(world, endpoint):
    before = database()
    body = world.valid_body(endpoint) if endpoint in WITH_FIELDS else None
    response = world.call(endpoint, body, role="anon")
    assert assert_error(response, 401)["code"] == "not_authenticated"
    assert database() == before


@pytest.mark.parametrize(
    "path",
    [
        "me/",
        "bookings/",
        "bookings/{booking}/",
        "availability-rules/",
        "time-off/",
        "bookings/{booking}/calendar.ics",
    ],
)
def test_an_anonymous_read_of_a_protected_endpoint_answers_401(world, path):
    response = world.client("anon").get("/api/v1/" + path.format(booking=world.booking.pk))
    assert assert_error(response, 401)["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [
        ("specialist_create", "patient"),
        ("specialist_create", "specialist"),
        ("visit_type_create", "specialist"),
        ("rule_create", "patient"),
        ("time_off_create", "patient"),
        ("slot_create", "patient"),
        (
            "booking_create",
            "specialist",
        ),  # admins book for a patient (tests/scheduling/test_bookings_by_admin.py)
        ("complete", "patient"),
        ("no_show", "patient"),
    ],
)
def test_a_role_that_may_not_write_answers_403_and_writes_nothing(world, endpoint, role):
    before = database()
    body = world.valid_body(endpoint) if endpoint in WITH_FIELDS else None
    response = world.call(endpoint, body, role=role)
    assert assert_error(response, 403)["code"] == "permission_denied"
    assert database() == before


def test_the_auth_endpoints_answer_429_throttled_past_their_rate(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {
            "anon": "1000/min",
            "user": "1000/min",
            "auth": "2/min",
            "account": "1000/min",
            "register": "1000/min",
        },
    )
    client = world.client("anon")
    body = {"email": world.patient.user.email, "password": "wrong"}
    for _ in range(2):
        assert world.call("token", body).status_code == 400
    response = send(client, "POST", "/api/v1/auth/token/", body)
    assert assert_error(response, 429)["code"] == "throttled"
    assert "Retry-After" in response


def test_anonymous_reads_answer_429_throttled_past_their_rate(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {
            "anon": "1/min",
            "user": "1000/min",
            "auth": "1000/min",
            "account": "1000/min",
            "register": "1000/min",
        },
    )
    client = world.client("anon")
    assert client.get("/api/v1/slots/").status_code == 200
    assert assert_error(client.get("/api/v1/slots/"), 429)["code"] == "throttled"
