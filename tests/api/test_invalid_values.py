"""One bad value in an otherwise valid body answers 400 naming that field and writes nothing;
so do a start after its end and the domain's own refusals of a body (a taken email, a wrong
password)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.api.contract import assert_error, database, names

pytestmark = pytest.mark.django_db

HUGE = 10**30
LONG = "x" * 100_000
NUL = "Jo\u0000rdan"
SURROGATE = "Jo\ud800rdan"

BAD_STRINGS = [None, {}, ["a"], LONG, NUL, SURROGATE]
BAD_BOOLEANS = ["maybe", {}, [], HUGE, None]
BAD_IDS = ["abc", -1, 0, HUGE, -HUGE, 1.5, True, None, {}, [], "1" * 1001, 99_999_999]
BAD_TIMEZONES = [
    "Mars/Olympus_Mons",
    "",
    "../../etc/passwd",
    "/etc/localtime",
    "America/",
    "America",
    "UTC\u0000",
    "\ud800",
    LONG,
    5,
    {},
    None,
]
BAD_PHONES = ["abc", "212-555-0101", "+1555", HUGE, -1, {}, None, LONG, "+1212555\u00000101", "+1\ud800"]
BAD_STATES = ["XX", "ny ", 5, {}, None, "\u0000\u0000", "\ud800", LONG]
BAD_LANGUAGES = ["fr", "ES", "es-MX", "", 5, {}, None, "\ud800", LONG]
BAD_EMAILS = [123, {}, [], None, LONG, "a\u0000@example.com", "\ud800@example.com", "not-an-email"]
BAD_TIMES = ["25:00", "abc", 123, None, {}, "\u0000", LONG, "12:00\ud800"]
BAD_DATES = ["2030-02-30", "garbage", 20300101, {}, "\u0000", LONG, "99999-01-01"]
BAD_DATETIMES = [
    "garbage",
    "2030-02-30T10:00:00Z",
    123,
    {},
    None,
    "\u0000",
    LONG,
    "0001-01-01T00:00:00+05:00",  # before the earliest UTC datetime
    "9999-12-31T23:59:59-05:00",  # after the latest one
]


def _cases(endpoint: str, field: str, values: list[Any]) -> list[Any]:
    return [pytest.param(endpoint, field, value, id=f"{endpoint}-{field}-{value!r:.30}") for value in values]


FIELD_CASES = [
    *_cases("register", "email", BAD_EMAILS),
    *_cases("register", "password", [None, {}, LONG, "\u0000" * 20, "\ud800" * 20, HUGE, "123"]),
    *_cases("register", "first_name", BAD_STRINGS),
    *_cases("register", "last_name", BAD_STRINGS),
    *_cases("register", "phone", BAD_PHONES),
    *_cases("register", "state", BAD_STATES),
    *_cases("register", "timezone", BAD_TIMEZONES),
    *_cases("register", "sms_opt_in", BAD_BOOLEANS),
    *_cases("register", "email_opt_in", BAD_BOOLEANS),
    *_cases("token", "email", BAD_EMAILS),
    *_cases("token", "password", [None, {}, [], LONG]),
    *_cases("me", "first_name", BAD_STRINGS),
    *_cases("me", "last_name", BAD_STRINGS),
    *_cases("me", "phone", BAD_PHONES),
    *_cases("me", "state", BAD_STATES),
    *_cases("me", "timezone", BAD_TIMEZONES),
    *_cases("me", "language", BAD_LANGUAGES),
    *_cases("me", "sms_opt_in", BAD_BOOLEANS),
    *_cases("me", "email_opt_in", BAD_BOOLEANS),
    *_cases("specialist_create", "email", BAD_EMAILS),
    *_cases("specialist_create", "password", [None, {}, LONG, "\u0000" * 20, "123"]),
    *_cases("specialist_create", "first_name", BAD_STRINGS),
    *_cases("specialist_create", "credentials", [{}, [], "x" * 21, "M\u0000D", "M\ud800D"]),
    *_cases("specialist_create", "bio", [{}, LONG, NUL, SURROGATE]),
    *_cases("specialist_create", "timezone", BAD_TIMEZONES),
    *_cases(
        "specialist_create",
        "specialties",
        [
            "chronic-pain",
            {},
            [123],
            ["no-such-specialty"],
            [None],
            [{}],
            ["\u0000"],
            ["\ud800"],
            [LONG],
            None,
        ],
    ),
    *_cases(
        "specialist_create",
        "licenses",
        [
            {},
            "TX",
            [1],
            [None],
            [[]],
            [{"state": "XX", "number": "1", "expires_on": "2030-01-01"}],
            [{"state": "\ud800", "number": "1", "expires_on": "2030-01-01"}],
            [{"state": "TX", "number": LONG, "expires_on": "2030-01-01"}],
            [{"state": "TX", "number": "1\u00002", "expires_on": "2030-01-01"}],
            [{"state": "TX", "number": "1", "expires_on": "2030-13-45"}],
            [{"state": "TX", "number": "1", "expires_on": HUGE}],
            [{"state": "TX", "number": "1"}],
            [
                {"state": "TX", "number": "1", "expires_on": "2030-01-01"},
                {"state": "TX", "number": "2", "expires_on": "2031-01-01"},
            ],
        ],
    ),
    *_cases("specialist_create", "accepting_new_patients", BAD_BOOLEANS),
    *_cases(
        "specialist_create",
        "visit_types",
        [[99_999_999], [HUGE], [-1], ["abc"], [None], [{}], [1.5], "1", {}, None, [True]],
    ),
    *_cases("specialist_update", "email", BAD_EMAILS),
    *_cases("specialist_update", "password", [None, {}, LONG, "123"]),
    *_cases("specialist_update", "timezone", BAD_TIMEZONES),
    *_cases("specialist_update", "specialties", ["sleep", [123], ["\ud800"], [LONG]]),
    *_cases(
        "specialist_update",
        "licenses",
        [
            {},
            [None],
            [{"state": "XX", "number": "1", "expires_on": "2030-01-01"}],
            [
                {"state": "NY", "number": "1", "expires_on": "2030-01-01"},
                {"state": "NY", "number": "2", "expires_on": "2031-01-01"},
            ],
        ],
    ),
    *_cases("specialist_update", "visit_types", [[HUGE], [-1], ["abc"], [99_999_999]]),
    *_cases("specialist_update", "is_active", BAD_BOOLEANS),
    *_cases("visit_type_create", "slug", [None, {}, "has space", LONG, "a\u0000b", "\ud800", ""]),
    *_cases("visit_type_create", "name", [*BAD_STRINGS, ""]),
    *_cases("visit_type_create", "duration_minutes", ["abc", HUGE, -1, 0, 4, 481, None, {}, 1.5, "1" * 1001]),
    *_cases("visit_type_create", "new_patient", BAD_BOOLEANS),
    *_cases("rule_create", "weekday", [7, -1, "mon", HUGE, -HUGE, None, {}, 1.5]),
    *_cases("rule_create", "start_time", BAD_TIMES),
    *_cases("rule_create", "end_time", BAD_TIMES),
    *_cases("rule_create", "visit_type", BAD_IDS),
    *_cases("rule_create", "valid_from", [*BAD_DATES, None]),
    *_cases("rule_create", "valid_until", BAD_DATES),
    *_cases("rule_update", "weekday", [7, -1, HUGE, None]),
    *_cases("rule_update", "start_time", BAD_TIMES),
    *_cases("rule_update", "end_time", BAD_TIMES),
    *_cases("rule_update", "visit_type", BAD_IDS),
    *_cases("rule_update", "valid_from", BAD_DATES),
    *_cases("rule_update", "valid_until", BAD_DATES),
    *_cases("time_off_create", "start", BAD_DATETIMES),
    *_cases("time_off_create", "end", BAD_DATETIMES),
    *_cases("time_off_create", "reason", [{}, [], LONG, NUL, SURROGATE, None]),
    *_cases("time_off_create", "cancel_conflicting", BAD_BOOLEANS),
    *_cases("slot_create", "visit_type", BAD_IDS),
    *_cases(
        "slot_create",
        "start",
        [*BAD_DATETIMES, "2000-01-01T09:00:00Z", "9999-12-31T00:00:00Z"],
    ),
    *_cases("booking_create", "slot", [*BAD_IDS, "\u0000", "\ud800", "1\u0000"]),
    *_cases("booking_create", "reason", [{}, [], LONG, NUL, SURROGATE, None]),
    *_cases("cancel", "reason", [{}, [], LONG, NUL, SURROGATE, None]),
    *_cases("reschedule", "slot", [*BAD_IDS, "\u0000", "\ud800"]),
]


@pytest.mark.parametrize(("endpoint", "field", "value"), FIELD_CASES)
def test_a_bad_value_answers_400_naming_the_field_and_writes_nothing(world, endpoint, field, value):
    before = database()
    body = assert_error(world.call(endpoint, {**world.valid_body(endpoint), field: value}), 400)
    assert names(body, field), body
    assert database() == before


@pytest.mark.parametrize("endpoint", ["rule_create", "slot_create", "time_off_create"])
@pytest.mark.parametrize("specialist", [None, 99_999_999, HUGE, -1, "abc", {}, 1.5])
def test_an_admin_naming_a_bad_specialist_answers_400_and_writes_nothing(world, endpoint, specialist):
    before = database()
    body = {**world.valid_body(endpoint), "specialist": specialist}
    response = world.call(endpoint, body, role="admin")
    assert names(assert_error(response, 400), "specialist")
    assert database() == before


@pytest.mark.parametrize("endpoint", ["rule_create", "slot_create", "time_off_create"])
def test_an_admin_who_names_no_specialist_answers_400(world, endpoint):
    before = database()
    response = world.call(endpoint, world.valid_body(endpoint), role="admin")
    assert names(assert_error(response, 400), "specialist")
    assert database() == before


def test_a_nested_field_error_is_named_by_its_path(world):
    licenses = [{"state": "TX", "number": "1", "expires_on": "2030-01-01"}, {"state": "XX"}]
    body = {**world.valid_body("specialist_create"), "licenses": licenses}
    fields = assert_error(world.call("specialist_create", body), 400)["fields"]
    assert set(fields) == {"licenses.1.state", "licenses.1.number", "licenses.1.expires_on"}


def test_an_echoed_lone_surrogate_is_escaped_in_the_error(world):
    body = {**world.valid_body("register"), "state": "\ud800"}
    fields = assert_error(world.call("register", body), 400)["fields"]
    assert fields["state"] == ['"\\ud800" is not a valid choice.']


def test_register_with_a_taken_email_writes_nothing(world):
    before = database()
    body = {**world.valid_body("register"), "email": world.patient.user.email.upper()}
    assert assert_error(world.call("register", body), 400)["code"] == "email_taken"
    assert database() == before


def test_token_with_a_wrong_password_answers_invalid_credentials(world):
    body = {"email": world.patient.user.email, "password": "wrong"}
    assert assert_error(world.call("token", body), 400)["code"] == "invalid_credentials"


# --- Start after end ----------------------------------------------------------------------------


def test_time_off_that_ends_before_it_starts_answers_400_and_writes_nothing(world):
    before = database()
    body = {"start": world.later.isoformat(), "end": (world.later - dt.timedelta(hours=1)).isoformat()}
    assert names(assert_error(world.call("time_off_create", body), 400), "end")
    assert database() == before


def test_time_off_of_no_length_answers_400(world):
    body = {"start": world.later.isoformat(), "end": world.later.isoformat()}
    assert names(assert_error(world.call("time_off_create", body), 400), "end")


def test_a_rule_that_ends_before_it_starts_answers_400_and_writes_nothing(world):
    before = database()
    body = {**world.valid_body("rule_create"), "start_time": "15:00", "end_time": "13:00"}
    assert names(assert_error(world.call("rule_create", body), 400), "end_time")
    assert database() == before


def test_a_rule_change_that_ends_it_before_it_starts_answers_400_and_writes_nothing(world):
    before = database()
    assert names(assert_error(world.call("rule_update", {"end_time": "08:00"}), 400), "end_time")
    assert database() == before


def test_a_rule_valid_until_before_valid_from_answers_400_and_writes_nothing(world):
    before = database()
    body = {**world.valid_body("rule_create"), "valid_from": "2031-01-01", "valid_until": "2030-01-01"}
    assert names(assert_error(world.call("rule_create", body), 400), "valid_until")
    assert database() == before


@pytest.mark.parametrize("valid_from", ["9999-12-31", "9999-12-28", "0001-01-01"])
def test_a_rule_at_the_edge_of_the_calendar_never_answers_5xx(world, valid_from):
    body = {**world.valid_body("rule_create"), "valid_from": valid_from}
    assert world.call("rule_create", body).status_code < 500
