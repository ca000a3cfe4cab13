"""The OpenAPI schema is the contract clients are generated from: it builds without a warning,
validates, and documents the error responses of every operation. The probes and docs answer."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.factories import RuleFactory

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_schema_endpoint_answers_200(anon):
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


def test_the_schema_endpoint_answers_json_on_request(anon):
    response = anon.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_the_schema_builds_without_warnings_and_validates(tmp_path):
    # The generator's warning tally is process-wide: start it from zero, so that what fails
    # this test is a warning of this run.
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3")


def test_the_schema_has_operations(schema):
    assert len(operations(schema)) > 25


def test_every_operation_documents_a_4xx_response(schema):
    missing = [
        f"{method} {path}"
        for method, path, operation in operations(schema)
        if not any(400 <= int(code) < 500 for code in operation["responses"])
    ]
    assert missing == []


def test_every_documented_error_has_the_error_shape(schema):
    wrong = [
        f"{method} {path} {code}"
        for method, path, operation in operations(schema)
        for code, response in operation["responses"].items()
        if int(code) >= 400
        and response.get("content", {}).get("application/json", {}).get("schema")
        != {"$ref": "#/components/schemas/Error"}
    ]
    assert wrong == []


def test_the_error_shape_requires_detail_and_code(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}
    assert error["properties"]["fields"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_every_operation_with_a_body_documents_400_and_415(schema):
    missing = [
        f"{method} {path}"
        for method, path, operation in operations(schema)
        if "requestBody" in operation and not {"400", "415"} <= set(operation["responses"])
    ]
    assert missing == []


def test_request_bodies_are_json_only_but_twilios_forms(schema):
    expected = {
        ("/api/v1/webhooks/twilio/status/", "application/x-www-form-urlencoded"),
        ("/api/v1/webhooks/twilio/inbound/", "application/x-www-form-urlencoded"),
    }
    other = {
        (path, media)
        for method, path, operation in operations(schema)
        for media in operation.get("requestBody", {}).get("content", {})
        if media != "application/json"
    }
    assert other == expected


def test_every_operation_on_one_object_documents_404(schema):
    missing = [
        f"{method} {path}"
        for method, path, operation in operations(schema)
        if "{id}" in path and "404" not in operation["responses"]
    ]
    assert missing == []


def test_every_operation_that_reads_a_token_documents_401(schema):
    # A token that is not valid answers 401 wherever one is read, on the catalogue and the
    # slot search too, which anyone may call without one.
    missing = [
        f"{method} {path}"
        for method, path, operation in operations(schema)
        if any(operation.get("security", [])) and "401" not in operation["responses"]
    ]
    assert missing == []


def test_a_token_that_is_not_valid_answers_401_on_a_public_read(anon, specialist):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = anon.get(f"/api/v1/specialists/{specialist.pk}/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_object_ids_in_paths_are_integers(schema):
    untyped = [
        f"{method} {path}"
        for method, path, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
        and parameter["name"] != "token"  # a join token, not an object id
        and parameter["schema"].get("type") != "integer"
    ]
    assert untyped == []


def test_the_docs_page_answers_200(anon):
    response = anon.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_healthz_answers_200(anon):
    response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def schemas_in(node: Any) -> list[dict[str, Any]]:
    """Every schema object inside `node`, however deep."""
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(schemas_in(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(schemas_in(value))
    return found


def test_no_schema_declares_format_time(schema):
    # JSON Schema's `time` (RFC 3339 full-time) needs an offset; a rule's times are local.
    assert [s for s in schemas_in(schema) if s.get("format") == "time"] == []


@pytest.mark.parametrize("component", ["RuleOut", "RuleInRequest", "PatchedRulePatchRequest"])
def test_local_times_are_strings_of_hours_and_minutes(schema, component):
    for name in ("start_time", "end_time"):
        field = schema["components"]["schemas"][component]["properties"][name]
        assert field["type"] == "string"
        pattern = re.compile(field["pattern"])
        assert all(pattern.search(t) for t in ("09:00", "09:00:00", "23:59:59", "00:00"))
        assert not any(pattern.search(t) for t in ("09:00:00Z", "09:00+01:00", "24:00", "9:00", "09:60"))


def test_a_rule_as_the_api_writes_it_matches_its_time_pattern(schema, specialist, specialist_client):
    RuleFactory(specialist=specialist)
    rule = specialist_client.get("/api/v1/availability-rules/").json()["results"][0]
    properties = schema["components"]["schemas"]["RuleOut"]["properties"]
    for name in ("start_time", "end_time"):
        assert re.search(properties[name]["pattern"], rule[name]), rule[name]


def test_response_objects_require_every_field_they_always_carry(schema):
    # A generated client types a field that is not `required` as possibly absent: only the
    # error shape's extras, documented as present only with some codes, may be.
    sometimes_absent = {"Error.fields", "Error.bookings", "Error.opens_at"}
    loose = {
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        if not name.endswith("Request")  # request bodies have components of their own
        for field in set(component.get("properties", {})) - set(component.get("required", []))
    }
    assert loose - sometimes_absent == set()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/specialists/"),
        ("GET", "/api/v1/specialists/{id}/"),
        ("GET", "/api/v1/visit-types/"),
        ("GET", "/api/v1/specialties/"),
        ("GET", "/api/v1/slots/"),
    ],
)
def test_reads_anyone_may_make_need_no_token_in_the_schema(schema, anon, method, path):
    assert {} in schema["paths"][path][method.lower()]["security"]
    assert anon.get(path.replace("{id}", "1")).status_code in (200, 404)


def test_writes_to_the_catalogue_need_a_token_in_the_schema(schema):
    for path, method in [("/api/v1/specialists/", "post"), ("/api/v1/visit-types/", "post")]:
        security = schema["paths"][path][method]["security"]
        assert security and {} not in security


def test_every_throttled_operation_documents_429(schema):
    # Every view but Twilio's webhooks is throttled (THROTTLE_RATES), the catalogue too.
    missing = [
        f"{method} {path}"
        for method, path, operation in operations(schema)
        if not path.startswith("/api/v1/webhooks/") and "429" not in operation["responses"]
    ]
    assert missing == []
