"""Hostile query parameters never answer a 5xx: an invalid filter answers 400 naming it, an
invalid page 404, and a huge page size is capped."""

from __future__ import annotations

import pytest

from tests.api.contract import assert_error, names

pytestmark = pytest.mark.django_db


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
        "specialists/?accepting_new_patients=maybe",
    ],
)
def test_an_invalid_filter_answers_400_naming_it(world, query):
    field = query.split("?")[1].split("=")[0]
    response = world.client("patient").get("/api/v1/" + query)
    assert names(assert_error(response, 400), field)


def test_an_invalid_page_answers_404(world):
    assert assert_error(world.client("patient").get("/api/v1/slots/?page=abc"), 404)["code"] == "not_found"


def test_a_huge_page_size_is_capped(world, monkeypatch):
    from core.api.pagination import Pagination

    monkeypatch.setattr(Pagination, "max_page_size", 1)
    response = world.client("patient").get("/api/v1/slots/?page_size=100000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert response.json()["next"] is not None
