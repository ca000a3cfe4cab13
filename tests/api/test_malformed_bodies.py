"""Bodies that are not JSON objects (unparseable, empty, too large, not JSON, not an object)
answer a 4xx in the error shape and write nothing."""

from __future__ import annotations

import json

import pytest

from tests.api.contract import ENDPOINTS, WITH_FIELDS, assert_error, database, send_raw

pytestmark = pytest.mark.django_db

# Not one of these bodies is an object.
NOT_OBJECTS = [[], [{"slot": 1}], "a string", 42, None, True]


@pytest.mark.parametrize("endpoint", WITH_FIELDS)
def test_bad_json_answers_parse_error_and_writes_nothing(world, endpoint):
    method, _, role = ENDPOINTS[endpoint]
    before = database()
    response = send_raw(world.client(role), method, world.url(endpoint), '{"slot": ')
    assert assert_error(response, 400)["code"] == "parse_error"
    assert database() == before


@pytest.mark.parametrize(
    "raw",
    [
        b'{"reason": "\xff\xfe"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than the parser's recursion limit
        b'{"slot": 1' + b"0" * 5000 + b"}",  # an integer literal past Python's digit limit
        b'{"slot": NaN}',
        b'{"slot": Infinity}',
    ],
    ids=["not-utf8", "deep-nesting", "huge-int-literal", "nan", "infinity"],
)
@pytest.mark.parametrize("endpoint", ["register", "booking_create", "rule_create", "me"])
def test_unparseable_bodies_answer_400_and_write_nothing(world, endpoint, raw):
    method, _, role = ENDPOINTS[endpoint]
    before = database()
    assert_error(send_raw(world.client(role), method, world.url(endpoint), raw), 400)
    assert database() == before


@pytest.mark.parametrize(
    "endpoint", [name for name in WITH_FIELDS if ENDPOINTS[name][0] == "POST" and name != "cancel"]
)
def test_an_empty_body_answers_400_naming_a_required_field_and_writes_nothing(world, endpoint):
    method, _, role = ENDPOINTS[endpoint]
    before = database()
    body = assert_error(send_raw(world.client(role), method, world.url(endpoint), b""), 400)
    assert body["fields"]
    assert database() == before


def test_a_body_over_the_upload_limit_answers_413_and_writes_nothing(world):
    before = database()
    raw = json.dumps({**world.valid_body("booking_create"), "reason": "x" * 3_000_000})
    response = send_raw(world.client("patient"), "POST", "/api/v1/bookings/", raw)
    assert assert_error(response, 413)["code"] == "request_too_large"
    assert database() == before


@pytest.mark.parametrize("endpoint", ["register", "booking_create", "time_off_create"])
def test_an_unknown_charset_answers_4xx(world, endpoint):
    method, _, role = ENDPOINTS[endpoint]
    response = send_raw(
        world.client(role), method, world.url(endpoint), b"{}", "application/json; charset=no-such-codec"
    )
    assert_error(response)


@pytest.mark.parametrize("body", NOT_OBJECTS, ids=repr)
@pytest.mark.parametrize("endpoint", WITH_FIELDS)
def test_a_body_that_is_not_an_object_answers_400_and_writes_nothing(world, endpoint, body):
    before = database()
    response = world.call(endpoint, body)
    # PATCH me/ with an empty list would be a no-op if lists were taken as objects: they are not.
    assert_error(response, 400)
    assert database() == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
@pytest.mark.parametrize("endpoint", WITH_FIELDS)
def test_a_body_that_is_not_json_answers_415_and_writes_nothing(world, endpoint, content_type):
    method, _, role = ENDPOINTS[endpoint]
    before = database()
    raw = "&".join(
        f"{k}={v}" for k, v in world.valid_body(endpoint).items() if not isinstance(v, list | dict)
    )
    response = send_raw(world.client(role), method, world.url(endpoint), raw, content_type)
    assert assert_error(response, 415)["code"] == "unsupported_media_type"
    assert database() == before


@pytest.mark.parametrize("endpoint", WITH_FIELDS)
def test_multipart_form_data_answers_415_and_writes_nothing(world, endpoint):
    method, _, role = ENDPOINTS[endpoint]
    client = world.client(role)
    before = database()
    flat = {k: v for k, v in world.valid_body(endpoint).items() if not isinstance(v, list | dict)}
    response = getattr(client, method.lower())(world.url(endpoint), flat, format="multipart")
    assert assert_error(response, 415)["code"] == "unsupported_media_type"
    assert database() == before


@pytest.mark.parametrize("endpoint", ["complete", "no_show"])
def test_actions_without_a_body_ignore_a_malformed_one(world, endpoint):
    method, _, role = ENDPOINTS[endpoint]
    before = database()
    response = send_raw(world.client(role), method, world.url(endpoint), '{"slot": ')
    # The booking starts in five days: the action is refused for that, the body is not read.
    assert assert_error(response, 409)["code"] == "not_started"
    assert database() == before
