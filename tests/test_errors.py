"""Malformed and hostile requests: every one answers a clear 4xx in the error shape of API.md,
never a 5xx, and writes nothing.

Each write endpoint is called as the role allowed to call it, with a body that is valid but for
one bad value, so a 400 can only come from that value. Nothing written is proved by comparing
every row of the apps' tables before and after. Clients do not raise a view's exception: a bug
is observed as the 500 a user would see.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling.models import Booking, Slot, TimeOff
from tests.conftest import client_for
from tests.factories import (
    PASSWORD,
    AdminFactory,
    BookingFactory,
    FollowUpFactory,
    PatientFactory,
    RuleFactory,
    SlotFactory,
    SpecialistFactory,
    VisitTypeFactory,
)

pytestmark = pytest.mark.django_db

HUGE = 10**30
LONG = "x" * 100_000
NUL = "Jo\u0000rdan"
SURROGATE = "Jo\ud800rdan"
# Not one of these bodies is an object.
NOT_OBJECTS = [[], [{"slot": 1}], "a string", 42, None, True]


# --- Helpers ------------------------------------------------------------------------------------


def _client(user: Any = None) -> APIClient:
    client = client_for(user) if user is not None else APIClient()
    client.raise_request_exception = False
    return client


def send(client: APIClient, method: str, url: str, body: Any = None, **kwargs: Any) -> Any:
    """Send `body` as JSON. `json.dumps` escapes lone surrogates (`\\ud800`), as a client would."""
    return client.generic(method, url, json.dumps(body), content_type="application/json", **kwargs)


def send_raw(
    client: APIClient, method: str, url: str, raw: bytes | str, content_type: str = "application/json"
) -> Any:
    return client.generic(method, url, raw, content_type=content_type)


def database() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the project's tables (and tokens), to prove a request wrote nothing."""
    tables = set(connection.introspection.table_names())
    state = {}
    for label in ("clinic", "scheduling", "notifications", "authtoken"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.db_table in tables:
                state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state


def assert_error(response: Any, status: int | None = None) -> dict[str, Any]:
    """A 4xx (the given one, if any) with a JSON body of the error shape."""
    assert response.status_code < 500, response.content[:500]
    assert 400 <= response.status_code < 500, response.content[:500]
    if status is not None:
        assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("detail"), str) and body["detail"]
    assert isinstance(body.get("code"), str) and body["code"]
    if "fields" in body:
        assert isinstance(body["fields"], dict)
        for name, messages in body["fields"].items():
            assert isinstance(name, str)
            assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    return body


def names(body: dict[str, Any], field: str) -> bool:
    """The error names `field` (or a part of it, like `licenses.0.state`)."""
    return any(key == field or key.startswith(f"{field}.") for key in body.get("fields", {}))


# --- The world the requests run in --------------------------------------------------------------


class World:
    """A patient with a booking, their specialist with a rule, time off and an open slot, an
    admin, and a second patient and specialist to be the "others"."""

    def __init__(self) -> None:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.consult = VisitTypeFactory()
        self.follow_up = FollowUpFactory()
        self.admin = AdminFactory()
        self.patient = PatientFactory()
        self.other_patient = PatientFactory()
        self.specialist = SpecialistFactory()
        self.other_specialist = SpecialistFactory()
        self.rule = RuleFactory(specialist=self.specialist, visit_type=self.consult)
        self.other_rule = RuleFactory(specialist=self.other_specialist, visit_type=self.consult)
        self.time_off = TimeOff.objects.create(
            specialist=self.specialist,
            start=now + dt.timedelta(days=20),
            end=now + dt.timedelta(days=20, hours=2),
        )
        self.other_time_off = TimeOff.objects.create(
            specialist=self.other_specialist,
            start=now + dt.timedelta(days=20),
            end=now + dt.timedelta(days=20, hours=2),
        )
        self.slot = SlotFactory(
            specialist=self.specialist, visit_type=self.consult, start=now + dt.timedelta(days=3)
        )
        self.other_slot = SlotFactory(
            specialist=self.other_specialist, visit_type=self.consult, start=now + dt.timedelta(days=3)
        )
        self.booking = BookingFactory(
            patient=self.patient,
            slot=SlotFactory(
                specialist=self.specialist,
                visit_type=self.consult,
                start=now + dt.timedelta(days=5),
                status=Slot.Status.BOOKED,
            ),
        )
        self.other_booking = BookingFactory(
            patient=self.other_patient,
            slot=SlotFactory(
                specialist=self.other_specialist,
                visit_type=self.consult,
                start=now + dt.timedelta(days=5),
                status=Slot.Status.BOOKED,
            ),
        )
        self.later = now + dt.timedelta(days=30)

        # Clients (and their tokens) exist before any test takes its snapshot of the database.
        self.clients = {
            "anon": _client(),
            "patient": _client(self.patient.user),
            "specialist": _client(self.specialist.user),
            "admin": _client(self.admin),
        }

    def client(self, role: str) -> APIClient:
        return self.clients[role]

    def url(self, endpoint: str, pk: Any = None) -> str:
        path = ENDPOINTS[endpoint][1]
        ids = {
            "specialist": self.specialist.pk,
            "rule": self.rule.pk,
            "time_off": self.time_off.pk,
            "slot": self.slot.pk,
            "booking": self.booking.pk,
        }
        if pk is not None:
            ids = dict.fromkeys(ids, pk)
        return "/api/v1/" + path.format(**ids)

    def valid_body(self, endpoint: str) -> dict[str, Any]:
        """A body the endpoint accepts; each bad case spoils one value of it."""
        return {
            "register": {
                "email": "jordan.lee@example.com",
                "password": "a-long-enough-passphrase",
                "first_name": "Jordan",
                "last_name": "Lee",
                "phone": "+12125550101",
                "state": "NY",
                "timezone": "America/New_York",
                "sms_opt_in": True,
                "email_opt_in": True,
            },
            "token": {"email": self.patient.user.email, "password": PASSWORD},
            "me": {"first_name": "Sam"},
            "specialist_create": {
                "email": "new.doc@clinic.example",
                "password": "another-long-passphrase",
                "first_name": "Nia",
                "last_name": "Stone",
                "credentials": "MD",
                "bio": "Headache medicine.",
                "timezone": "America/Chicago",
                "specialties": ["headache-migraine"],
                "licenses": [{"state": "TX", "number": "TX-1", "expires_on": "2030-01-01"}],
                "accepting_new_patients": True,
                "visit_types": [self.consult.pk],
            },
            "specialist_update": {"bio": "Movement disorders."},
            "visit_type_create": {
                "slug": "headache-follow-up",
                "name": "Headache follow-up",
                "duration_minutes": 20,
                "new_patient": False,
            },
            "rule_create": {
                "weekday": 2,
                "start_time": "13:00",
                "end_time": "15:00",
                "visit_type": self.consult.pk,
            },
            "rule_update": {"end_time": "11:00"},
            "time_off_create": {
                "start": self.later.isoformat(),
                "end": (self.later + dt.timedelta(hours=3)).isoformat(),
                "reason": "Conference",
            },
            "slot_create": {
                "visit_type": self.consult.pk,
                "start": (self.later + dt.timedelta(days=1)).isoformat(),
            },
            "booking_create": {"slot": self.slot.pk, "reason": "Headaches"},
            "cancel": {"reason": "Feeling better"},
            "reschedule": {"slot": self.slot.pk},
        }[endpoint]


@pytest.fixture
def world() -> World:
    return World()


# Every write endpoint: (method, path under /api/v1/, the role allowed to call it).
ENDPOINTS = {
    "register": ("POST", "auth/register/", "anon"),
    "token": ("POST", "auth/token/", "anon"),
    "me": ("PATCH", "me/", "patient"),
    "specialist_create": ("POST", "specialists/", "admin"),
    "specialist_update": ("PATCH", "specialists/{specialist}/", "admin"),
    "visit_type_create": ("POST", "visit-types/", "admin"),
    "rule_create": ("POST", "availability-rules/", "specialist"),
    "rule_update": ("PATCH", "availability-rules/{rule}/", "specialist"),
    "rule_delete": ("DELETE", "availability-rules/{rule}/", "specialist"),
    "time_off_create": ("POST", "time-off/", "specialist"),
    "time_off_delete": ("DELETE", "time-off/{time_off}/", "specialist"),
    "slot_create": ("POST", "slots/", "specialist"),
    "slot_delete": ("DELETE", "slots/{slot}/", "specialist"),
    "booking_create": ("POST", "bookings/", "patient"),
    "cancel": ("POST", "bookings/{booking}/cancel/", "patient"),
    "reschedule": ("POST", "bookings/{booking}/reschedule/", "patient"),
    "complete": ("POST", "bookings/{booking}/complete/", "specialist"),
    "no_show": ("POST", "bookings/{booking}/no-show/", "specialist"),
}
WITH_BODY = [name for name, (method, _, _) in ENDPOINTS.items() if method in ("POST", "PATCH")]
# Endpoints whose body is a JSON object of fields (complete and no-show take none).
WITH_FIELDS = [name for name in WITH_BODY if name not in ("complete", "no_show")]
WITH_ID = [name for name, (_, path, _) in ENDPOINTS.items() if "{" in path]


def call(world: World, endpoint: str, body: Any = None, *, role: str | None = None, pk: Any = None) -> Any:
    method, _, default_role = ENDPOINTS[endpoint]
    return send(world.client(role or default_role), method, world.url(endpoint, pk), body)


# --- Bodies that are not JSON objects -----------------------------------------------------------


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
    response = call(world, endpoint, body)
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


# --- One bad value in an otherwise valid body ---------------------------------------------------

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
    body = assert_error(call(world, endpoint, {**world.valid_body(endpoint), field: value}), 400)
    assert names(body, field), body
    assert database() == before


@pytest.mark.parametrize("endpoint", ["rule_create", "slot_create", "time_off_create"])
@pytest.mark.parametrize("specialist", [None, 99_999_999, HUGE, -1, "abc", {}, 1.5])
def test_an_admin_naming_a_bad_specialist_answers_400_and_writes_nothing(world, endpoint, specialist):
    before = database()
    body = {**world.valid_body(endpoint), "specialist": specialist}
    response = call(world, endpoint, body, role="admin")
    assert names(assert_error(response, 400), "specialist")
    assert database() == before


@pytest.mark.parametrize("endpoint", ["rule_create", "slot_create", "time_off_create"])
def test_an_admin_who_names_no_specialist_answers_400(world, endpoint):
    before = database()
    response = call(world, endpoint, world.valid_body(endpoint), role="admin")
    assert names(assert_error(response, 400), "specialist")
    assert database() == before


def test_a_nested_field_error_is_named_by_its_path(world):
    licenses = [{"state": "TX", "number": "1", "expires_on": "2030-01-01"}, {"state": "XX"}]
    body = {**world.valid_body("specialist_create"), "licenses": licenses}
    fields = assert_error(call(world, "specialist_create", body), 400)["fields"]
    assert set(fields) == {"licenses.1.state", "licenses.1.number", "licenses.1.expires_on"}


def test_an_echoed_lone_surrogate_is_escaped_in_the_error(world):
    body = {**world.valid_body("register"), "state": "\ud800"}
    fields = assert_error(call(world, "register", body), 400)["fields"]
    assert fields["state"] == ['"\\ud800" is not a valid choice.']


def test_register_with_a_taken_email_writes_nothing(world):
    before = database()
    body = {**world.valid_body("register"), "email": world.patient.user.email.upper()}
    assert assert_error(call(world, "register", body), 400)["code"] == "email_taken"
    assert database() == before


def test_token_with_a_wrong_password_answers_invalid_credentials(world):
    body = {"email": world.patient.user.email, "password": "wrong"}
    assert assert_error(call(world, "token", body), 400)["code"] == "invalid_credentials"


# --- Start after end ----------------------------------------------------------------------------


def test_time_off_that_ends_before_it_starts_answers_400_and_writes_nothing(world):
    before = database()
    body = {"start": world.later.isoformat(), "end": (world.later - dt.timedelta(hours=1)).isoformat()}
    assert names(assert_error(call(world, "time_off_create", body), 400), "end")
    assert database() == before


def test_time_off_of_no_length_answers_400(world):
    body = {"start": world.later.isoformat(), "end": world.later.isoformat()}
    assert names(assert_error(call(world, "time_off_create", body), 400), "end")


def test_a_rule_that_ends_before_it_starts_answers_400_and_writes_nothing(world):
    before = database()
    body = {**world.valid_body("rule_create"), "start_time": "15:00", "end_time": "13:00"}
    assert names(assert_error(call(world, "rule_create", body), 400), "end_time")
    assert database() == before


def test_a_rule_change_that_ends_it_before_it_starts_answers_400_and_writes_nothing(world):
    before = database()
    assert names(assert_error(call(world, "rule_update", {"end_time": "08:00"}), 400), "end_time")
    assert database() == before


def test_a_rule_valid_until_before_valid_from_answers_400_and_writes_nothing(world):
    before = database()
    body = {**world.valid_body("rule_create"), "valid_from": "2031-01-01", "valid_until": "2030-01-01"}
    assert names(assert_error(call(world, "rule_create", body), 400), "valid_until")
    assert database() == before


@pytest.mark.parametrize("valid_from", ["9999-12-31", "9999-12-28", "0001-01-01"])
def test_a_rule_at_the_edge_of_the_calendar_never_answers_5xx(world, valid_from):
    body = {**world.valid_body("rule_create"), "valid_from": valid_from}
    assert call(world, "rule_create", body).status_code < 500


# --- Unknown and hostile ids in the path --------------------------------------------------------

BAD_PATH_IDS = ["99999999", "abc", "-1", "0", "99999999999999999999", "1.5", "%00", "%ED%A0%80"]


@pytest.mark.parametrize("pk", BAD_PATH_IDS)
@pytest.mark.parametrize("endpoint", WITH_ID)
def test_an_unknown_id_answers_404_and_writes_nothing(world, endpoint, pk):
    before = database()
    body = world.valid_body(endpoint) if endpoint in WITH_FIELDS else None
    response = call(world, endpoint, body, pk=pk)
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
    response = call(world, action, world.valid_body(action), pk=world.other_booking.pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


@pytest.mark.parametrize("action", ["complete", "no_show", "cancel"])
def test_a_specialist_acting_on_another_specialists_booking_gets_404(world, action):
    before = database()
    body = world.valid_body(action) if action == "cancel" else None
    response = call(world, action, body, role="specialist", pk=world.other_booking.pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


def test_a_specialist_changing_another_specialists_rule_gets_404_and_writes_nothing(world):
    before = database()
    response = call(world, "rule_update", {"end_time": "11:00"}, pk=world.other_rule.pk)
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
    response = call(world, endpoint, pk=getattr(world, attribute).pk)
    assert assert_error(response, 404)["code"] == "not_found"
    assert database() == before


def test_a_patient_rescheduling_onto_an_unknown_slot_changes_nothing(world):
    before = database()
    response = call(world, "reschedule", {"slot": 99_999_999})
    assert names(assert_error(response, 400), "slot")
    assert database() == before
    assert Booking.objects.get(pk=world.booking.pk).status == Booking.Status.CONFIRMED


# --- Hostile query parameters -------------------------------------------------------------------

HOSTILE_QUERIES = [
    "slots/?start_after=garbage",
    "slots/?start_before=garbage",
    "slots/?start_after=0001-01-01T00:00:00%2B05:00",
    "slots/?start_before=9999-12-31T23:59:59-05:00",
    "slots/?specialist=abc",
    "slots/?specialist=99999999999999999999",
    "slots/?specialist=-1",
    "slots/?specialist=%00",
    "slots/?visit_type=1.5",
    "slots/?specialty=%00",
    "slots/?specialty=%ED%A0%80",
    "slots/?state=%00",
    "slots/?state=%00%00",
    "slots/?state=%ED%A0%80",
    "slots/?page=abc",
    "slots/?page=0",
    "slots/?page=-1",
    "slots/?page=99999999999999999999",
    "slots/?page_size=100000",
    "slots/?page_size=-5",
    "slots/?page_size=abc",
    "slots/?page_size=99999999999999999999",
    "slots/?" + "specialist=1&" * 2000,
    "slots/next-available/?visit_type=abc",
    "slots/next-available/?state=%00",
    "slots/next-available/?specialty=" + "x" * 10_000,
    "slots/next-available/?page=abc",
    "specialists/?state=%00",
    "specialists/?specialty=%00",
    "specialists/?specialty=" + "x" * 10_000,
    "specialists/?accepting_new_patients=maybe",
    "specialists/?page=abc",
    "specialists/?page_size=100000",
    "specialties/?page=99999999999999999999",
    "visit-types/?page_size=%00",
    "bookings/?status=bogus",
    "bookings/?status=%00",
    "bookings/?start_after=garbage",
    "bookings/?start_before=9999-12-31T23:59:59-05:00",
    "bookings/?page=abc",
    "bookings/?page_size=100000",
    "availability-rules/?page=abc",
    "time-off/?page=-1",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: q[:60])
@pytest.mark.parametrize("role", ["patient", "specialist", "admin"])
def test_hostile_query_parameters_never_answer_5xx(world, query, role):
    response = world.client(role).get("/api/v1/" + query)
    if response.status_code == 200:
        assert "results" in response.json()
    else:
        assert_error(response)


@pytest.mark.parametrize(
    "query",
    [
        "slots/?start_after=garbage",
        "slots/?specialist=abc",
        "slots/?specialist=99999999999999999999",
        "slots/?state=%00",
        "bookings/?status=bogus",
        "specialists/?state=%00",
    ],
)
def test_an_invalid_filter_answers_400_naming_it(world, query):
    field = query.split("?")[1].split("=")[0]
    response = world.client("patient").get("/api/v1/" + query)
    assert names(assert_error(response, 400), field)


@pytest.mark.parametrize("path", ["slots/", "bookings/", "bookings/{booking}/calendar.ics"])
def test_an_accept_header_the_api_cannot_satisfy_answers_406(world, path):
    url = "/api/v1/" + path.format(booking=world.booking.pk)
    response = world.client("patient").get(url, HTTP_ACCEPT="application/xml")
    assert assert_error(response, 406)["code"] == "not_acceptable"


def test_an_invalid_page_answers_404(world):
    assert assert_error(world.client("patient").get("/api/v1/slots/?page=abc"), 404)["code"] == "not_found"


def test_a_huge_page_size_is_capped(world, monkeypatch):
    from core.api.pagination import Pagination

    monkeypatch.setattr(Pagination, "max_page_size", 1)
    response = world.client("patient").get("/api/v1/slots/?page_size=100000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert response.json()["next"] is not None


# --- Headers ------------------------------------------------------------------------------------


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
    response = _client().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert assert_error(response, 401)["code"] in ("not_authenticated", "authentication_failed")


# --- Unknown paths, wrong methods, anonymous callers, throttling --------------------------------


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
    response = call(world, endpoint, body, role="anon")
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
        ("booking_create", "specialist"),
        ("booking_create", "admin"),
        ("complete", "patient"),
        ("no_show", "patient"),
    ],
)
def test_a_role_that_may_not_write_answers_403_and_writes_nothing(world, endpoint, role):
    before = database()
    body = world.valid_body(endpoint) if endpoint in WITH_FIELDS else None
    response = call(world, endpoint, body, role=role)
    assert assert_error(response, 403)["code"] == "permission_denied"
    assert database() == before


def test_the_auth_endpoints_answer_429_throttled_past_their_rate(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1000/min", "user": "1000/min", "auth": "2/min"}
    )
    client = world.client("anon")
    body = {"email": world.patient.user.email, "password": "wrong"}
    for _ in range(2):
        assert call(world, "token", body).status_code == 400
    response = send(client, "POST", "/api/v1/auth/token/", body)
    assert assert_error(response, 429)["code"] == "throttled"
    assert "Retry-After" in response


def test_anonymous_reads_answer_429_throttled_past_their_rate(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1/min", "user": "1000/min", "auth": "1000/min"}
    )
    client = world.client("anon")
    assert client.get("/api/v1/slots/").status_code == 200
    assert assert_error(client.get("/api/v1/slots/"), 429)["code"] == "throttled"


# --- Outside the API views ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["?format=bogus", "?lang=%00", "?lang=xx-no-such"])
def test_the_schema_view_never_answers_5xx(world, query):
    response = world.client("anon").get("/api/schema/" + query)
    assert response.status_code < 500


def test_the_schema_views_errors_are_json(world):
    response = world.client("anon").post("/api/schema/")
    assert assert_error(response, 405)["code"] == "method_not_allowed"


def test_the_docs_views_errors_are_json(world):
    response = world.client("anon").post("/api/docs/")
    assert assert_error(response, 405)["code"] == "method_not_allowed"
