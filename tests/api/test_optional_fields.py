"""A request body may leave out every field its schema does not require: the body of only the
required fields is accepted, never a 500 (a visit type without `new_patient` once was one)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.contract import ENDPOINTS, WITH_FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def required_fields(schema: dict[str, Any], endpoint: str) -> list[str]:
    method, path, _ = ENDPOINTS[endpoint]
    operation = schema["paths"]["/api/v1/" + re.sub(r"\{\w+\}", "{id}", path)][method.lower()]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    # Where one of several fields is required (`anyOf`), the first alternative's.
    alternatives = component.get("anyOf", [{}])
    return [*component.get("required", []), *alternatives[0].get("required", [])]


@pytest.mark.parametrize("endpoint", WITH_FIELDS)
def test_a_body_of_only_its_required_fields_is_accepted(world, schema, endpoint):
    required = required_fields(schema, endpoint)
    body = {name: value for name, value in world.valid_body(endpoint).items() if name in required}
    response = world.call(endpoint, body)
    assert 200 <= response.status_code < 300, (body, response.content[:300])
