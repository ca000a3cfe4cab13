"""`core.api.shapes.Shape` writes exactly what DRF's own Serializer writes for the same fields."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import pytest
from django.utils import timezone
from rest_framework import serializers

from core.api.shapes import Shape
from core.roles import Role


@dataclass
class Inner:
    code: int
    when: dt.datetime | None


@dataclass
class Thing:
    id: int
    name: str
    email: str
    ratio: float
    role: str
    at: dt.datetime | None
    inner: Inner | None
    counts: dict[str, int]


def fields() -> dict[str, serializers.Field]:
    return {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "email": serializers.EmailField(),
        "ratio": serializers.FloatField(),
        "role": serializers.ChoiceField(choices=Role.choices),
        "at": serializers.DateTimeField(allow_null=True),
        "inner_code": serializers.IntegerField(source="inner.code", allow_null=True),
        "inner_when": serializers.DateTimeField(source="inner.when", allow_null=True),
        "date_only": serializers.DateTimeField(source="at", format="%Y-%m-%d", allow_null=True),
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "doubled": serializers.SerializerMethodField(),
    }


def get_doubled(self, thing: Thing) -> int:
    return thing.id * 2


AsShape = type("AsShape", (Shape,), {**fields(), "get_doubled": get_doubled})
AsDRF = type("AsDRF", (serializers.Serializer,), {**fields(), "get_doubled": get_doubled})

NOON = dt.datetime(2026, 3, 8, 12, 0, 30, 123456, tzinfo=dt.UTC)
THINGS = [
    Thing(1, "Ada", "ada@example.com", 0.5, Role.PATIENT, NOON, Inner(7, NOON), {"a": 1}),
    Thing(2, "", "b@example.com", 2.0, "admin", None, None, {}),
    Thing(
        3,
        "Zoë",
        "z@example.com",
        1.25,
        Role.SPECIALIST,
        NOON.astimezone(zoneinfo.ZoneInfo("Asia/Kolkata")),
        Inner(0, None),
        {"x": 0},
    ),
]


@pytest.mark.parametrize("thing", THINGS, ids=["full", "nulls", "other-zone"])
def test_a_shape_writes_what_drf_writes(thing):
    assert AsShape(thing).data == AsDRF(thing).data


def test_a_list_of_shapes_writes_what_drf_writes():
    assert AsShape(THINGS, many=True).data == AsDRF(THINGS, many=True).data


def test_a_shape_writes_datetimes_in_the_current_zone_as_drf_does():
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert (
            AsShape(THINGS[0]).data["at"] == AsDRF(THINGS[0]).data["at"] == "2026-03-08T08:00:30.123456-04:00"
        )


def test_a_shape_reads_dicts_as_drf_does():
    as_dict = {
        "id": 4,
        "name": "n",
        "email": "e@example.com",
        "ratio": 1.0,
        "role": "patient",
        "at": NOON,
        "inner": {"code": 5, "when": NOON},
        "counts": {"k": 2},
    }
    shape = type("DictShape", (Shape,), {n: f for n, f in fields().items() if n != "doubled"})
    drf = type("DictDRF", (serializers.Serializer,), {n: f for n, f in fields().items() if n != "doubled"})
    assert shape(as_dict).data == drf(as_dict).data


@pytest.mark.django_db
def test_a_missing_related_row_reads_as_null():
    from clinic.serializers import ProfileOut
    from tests.factories import SpecialistFactory

    specialist = SpecialistFactory()
    data = ProfileOut(specialist.user).data
    assert data["state"] is None and data["sms_opt_in"] is None
    assert data["timezone"] == str(specialist.timezone)
