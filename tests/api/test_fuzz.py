"""The live schema, fuzzed: schemathesis generates requests for every operation of
`/api/schema/` and sends them through the WSGI app as an anonymous caller, a patient, a
specialist, an admin and a caller whose token is not valid. Each operation gets valid requests,
invalid ones, requests on the world's own objects (random ids are nearly all 404) and, for a
write, a body it accepts; webhook requests are signed as Twilio signs them. Every answer must be
no 5xx, carry a documented status code and content type, and conform to its documented schema,
with every response object closed (`additionalProperties: false`, added here): API.md's schema
lists exactly the fields an answer can carry.

The run is deterministic (derandomized Hypothesis, no example database, no shrinking) and
bounded, well under a minute. A failure names the role, the operation and the request that
broke it; each defect it finds gets a plain regression test beside the code's other tests too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from twilio.request_validator import RequestValidator

from config.wsgi import application
from scheduling.models import Offer, Slot
from scheduling.offers import offer_key, offer_token
from scheduling.video import Participant, join_url, video_visit_create
from tests.api.contract import ENDPOINTS, WITH_FIELDS
from tests.conftest import token_for
from tests.factories import NotificationFactory, SlotFactory, WaitlistEntryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

# The roles, and a caller whose token is not (or no longer) valid: it must get a documented 401
# wherever a token is read, also where none is needed.
ROLES = ("anon", "patient", "specialist", "admin", "bad_token")
BAD_TOKEN = {"Authorization": "Token " + "0" * 40}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation, role and kind of request (valid; invalid; on the world's own object;
# with a body the endpoint accepts): few enough for the ~200 operation and role pairs to run in
# well under a minute on two shared cores. With the fixes of issue 11's finding 17 in, runs
# with 25 and 60 (one and a half and three and a half minutes) found nothing more.
EXAMPLES = 6


def authorization(user: Any) -> dict[str, str]:
    """The headers that authenticate `user`, with a token made as the rest of the suite makes
    one (tests/conftest.py's `token_for`)."""
    if user is None:
        return {}
    return {"Authorization": f"Token {token_for(user)}"}


def response_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from response_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from response_refs(value)


def close_objects(node: Any) -> None:
    """`additionalProperties: false` on every object schema that lists its properties."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            close_objects(value)
    elif isinstance(node, list):
        for value in node:
            close_objects(value)


def closed_responses(raw: dict[str, Any]) -> dict[str, Any]:
    """The schema with every object a response can carry closed: the responses themselves and
    every component they reach, however deep (request bodies have components of their own,
    `COMPONENT_SPLIT_REQUEST`, and stay as they are)."""
    components = raw.get("components", {}).get("schemas", {})
    responses = [
        operation["responses"]
        for item in raw["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
    ]
    seen: set[str] = set()
    todo = [name for response in responses for name in response_refs(response)]
    while todo:
        name = todo.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        todo.extend(response_refs(components[name]))
    for response in responses:
        close_objects(response)
    for name in seen:
        close_objects(components[name])
    return raw


@pytest.fixture
def api_schema(anon) -> Any:
    response = anon.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(closed_responses(json.loads(response.content)))
    schema.app = application
    return schema


def objects_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every object schema (one that lists properties) inside `node`."""
    if isinstance(node, dict):
        if "properties" in node:
            yield node
        for value in node.values():
            yield from objects_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects_in(value)


def test_closing_leaves_no_response_object_open(anon):
    raw = closed_responses(json.loads(anon.get("/api/schema/?format=json").content))
    components = raw["components"]["schemas"]
    responses = {name: c for name, c in components.items() if not name.endswith("Request")}
    assert {"RuleOut", "BookingOut", "Error", "PaginatedRuleOutList"} <= set(responses)
    assert all(o["additionalProperties"] is False for o in objects_in(responses))
    # A map of its own (field name to messages) stays one.
    assert components["Error"]["properties"]["fields"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    # Request bodies may still carry what they like, and the fuzzer sends it.
    assert not any("additionalProperties" in o for o in objects_in(components["RuleInRequest"]))


@pytest.fixture
def wsgi_requests_keep_the_test_transaction() -> Iterator[None]:
    """Django closes the database connection around each request it serves, which would end the
    test's transaction: its own test client stops that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def own_objects(world: Any) -> dict[str, Any]:
    """Path parameters that name the world's objects (the role's own, where it has any), by the
    path before its parameter: random ids are almost all 404, and would leave what an operation
    does to a real object unfuzzed."""
    video_visit_create(booking=world.booking)
    token = join_url(world.booking, Participant.PATIENT).rsplit("/", 1)[-1]
    entry = WaitlistEntryFactory(patient=world.patient)
    held = SlotFactory(specialist=world.specialist, start=world.later, status=Slot.Status.HELD)
    nonce, digest = offer_key()
    offer = Offer.objects.create(
        entry=entry,
        slot=held,
        patient=world.patient,
        expires_at=timezone.now() + dt.timedelta(minutes=15),
        nonce=nonce,
        token_sha256=digest,
    )
    return {
        "/api/v1/admin/notifications/": {"id": NotificationFactory(booking=world.booking).pk},
        "/api/v1/offers/": {"token": offer_token(offer)},
        "/api/v1/waitlist/": {"id": entry.pk},
        "/api/v1/availability-rules/": {"id": world.rule.pk},
        "/api/v1/bookings/": {"id": world.booking.pk},
        "/api/v1/me/caregivers/": {"id": world.caregiver.pk},
        "/api/v1/slots/": {"id": world.slot.pk},
        "/api/v1/specialists/": {"id": world.specialist.pk},
        "/api/v1/time-off/": {"id": world.time_off.pk},
        "/api/v1/visits/join/": {"token": token},
        "/v/": {"token": token},
    }


WEBHOOKS = "/api/v1/webhooks/twilio/"


def form_value(value: Any) -> str | None:
    """The one value Django's `request.POST.get()` reads for a generated form value, or None
    where none would be sent (an empty list)."""
    if isinstance(value, list):
        return form_value(value[-1]) if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def signed_by_twilio(case: Any) -> dict[str, str]:
    """A webhook request signed as Twilio signs it, so that its body reaches the handler instead
    of the signature check: the body becomes the one value per field Django reads, and the
    signature covers it (tests/conftest.py's `twilio` fixture holds the account)."""
    if not isinstance(case.body, dict):
        return {}
    params = {key: form_value(value) for key, value in case.body.items()}
    case.body = {key: value for key, value in params.items() if value is not None}
    url = django_settings.PUBLIC_BASE_URL + case.formatted_path
    validator = RequestValidator(django_settings.TWILIO_AUTH_TOKEN)
    return {"X-Twilio-Signature": validator.compute_signature(url, case.body)}


def valid_bodies(world: Any) -> dict[tuple[str, str], Any]:
    """A body each write endpoint accepts (tests/api/conftest.py's), by method and path: a
    generated body seldom names an object that exists, and what a successful write answers
    would go unchecked."""
    return {
        (method, "/api/v1/" + re.sub(r"\{\w+\}", "{id}", path)): world.valid_body(name)
        for name, (method, path, _) in ENDPOINTS.items()
        if name in WITH_FIELDS
    }


def fuzz(
    operation: Any, headers: dict[str, str], objects: dict[str, Any], bodies: dict[tuple[str, str], Any]
) -> None:
    invalid = operation.as_strategy(GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), invalid]
    own = None
    if "{" in operation.path:
        prefix = operation.path.split("{", 1)[0]
        assert prefix in objects, f"own_objects() names no object for {prefix}: add one"
        own = objects[prefix]
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=own))
    body = bodies.get((operation.method.upper(), operation.path))
    if body is not None:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=own, body=body))

    # Each kind of request gets its share of the examples (`one_of` would favour the first).
    for strategy in strategies:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            sent = {**headers, **signed_by_twilio(case)} if operation.path.startswith(WEBHOOKS) else headers
            response = case.call(headers=sent)
            case.validate_response(response, checks=CHECKS, headers=sent)

        try:
            run()
        except Unsatisfiable:
            # No invalid request exists where every parameter takes any value (`me/`).
            if strategy is not invalid:
                raise


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_within_its_schema(
    role, world, api_schema, broker_says, twilio, wsgi_requests_keep_the_test_transaction
):
    users = {
        "anon": None,
        "patient": world.patient.user,
        "specialist": world.specialist.user,
        "admin": world.admin,
    }
    headers = BAD_TOKEN if role == "bad_token" else authorization(users[role])
    objects = own_objects(world)
    bodies = valid_bodies(world)
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        # Each operation starts from the same world: what one wrote is rolled back.
        with transaction.atomic():
            try:
                fuzz(operation, headers, objects, bodies)
            # Schemathesis reports several failures of one request as a BaseExceptionGroup.
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{role} {operation.label}:\n{error}")
            transaction.set_rollback(True)
    assert not failures, "\n\n".join(failures)
