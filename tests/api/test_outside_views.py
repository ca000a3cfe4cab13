"""Outside the API views: the schema and docs views never answer a 5xx, and their errors are JSON."""

from __future__ import annotations

import pytest

from tests.api.contract import assert_error

pytestmark = pytest.mark.django_db


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
