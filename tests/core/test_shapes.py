"""`core.api.shapes.Shape` writes exactly what DRF's own Serializer writes for the same fields."""

from __future__ import annotations

import copy
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from types import SimpleNamespace

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


# --- Every shape of the API, against DRF's own Serializer with the same fields -----------------


APPS = {"api", "clinic", "core", "notifications", "scheduling", "web"}


def shapes() -> set[type[Shape]]:
    """The shapes the apps declare (classes made with type() count as DRF's module's, and are
    left out: the stats' counts, and this module's own)."""
    found: set[type[Shape]] = set()
    todo = list(Shape.__subclasses__())
    while todo:
        shape = todo.pop()
        if shape.__module__.split(".")[0] in APPS:
            found.add(shape)
        todo += shape.__subclasses__()
    return found


def drf_twin(shape: type[Shape]) -> type[serializers.Serializer]:
    """A plain DRF Serializer with the shape's fields and methods: the reference it must match."""
    methods = {
        name: value
        for klass in reversed(shape.__mro__)
        if issubclass(klass, Shape) and klass is not Shape
        for name, value in vars(klass).items()
        if callable(value) and not name.startswith("__")
    }
    fields = {name: copy.deepcopy(field) for name, field in shape._declared_fields.items()}
    return type(f"DRF{shape.__name__}", (serializers.Serializer,), {**methods, **fields})


def api_objects() -> list[tuple[type[Shape], object, dict[str, object]]]:
    """One instance of what each shape writes in the API, made as the API makes it."""
    from api.audit import AuditEventOut
    from clinic.models import Specialty
    from clinic.serializers import (
        CaregiverOut,
        ProfileOut,
        RegisterOut,
        SpecialistOut,
        SpecialtyOut,
        TokenOut,
        VisitTypeOut,
    )
    from core.audit import audit_event_record
    from notifications.selectors import notification_stats
    from notifications.serializers import NotificationOut, QueueStatsOut
    from scheduling import selectors
    from scheduling.models import Offer, TimeOff
    from scheduling.serializers import (
        AdminOfferOut,
        BookingOut,
        JoinOut,
        OfferOut,
        RuleOut,
        SlotManagedOut,
        SlotOut,
        TimeOffOut,
        VideoOut,
        WaitlistEntryOut,
    )
    from scheduling.video import JoinGrant, video_visit_create
    from tests.factories import (
        BookingFactory,
        CaregiverFactory,
        NotificationFactory,
        RuleFactory,
        SlotFactory,
        WaitlistEntryFactory,
    )

    booking = BookingFactory(cancel_reason="", cancelled_by="patient", cancelled_at=NOON)
    video_visit_create(booking=booking)
    patient, specialist = booking.patient.user, booking.slot.specialist
    admin = SimpleNamespace(user=SimpleNamespace(role=Role.ADMIN, is_authenticated=True, is_staff=True))
    as_specialist = SimpleNamespace(
        user=SimpleNamespace(role=Role.SPECIALIST, is_authenticated=True, is_staff=False)
    )
    open_slot = SlotFactory(specialist=specialist, start=booking.slot.start + dt.timedelta(days=1))
    off = TimeOff.objects.create(specialist=specialist, start=NOON, end=NOON + dt.timedelta(hours=2))
    event = audit_event_record(
        actor=patient, action="booking.cancelled", obj=booking, before={"a": 1}, after=None
    )
    entry = WaitlistEntryFactory(
        patient=booking.patient, specialist=specialist, earliest=NOON.date(), latest=NOON.date()
    )
    held = SlotFactory(specialist=specialist, start=booking.slot.start + dt.timedelta(days=2), status="held")
    offer = Offer.objects.create(
        entry=entry, slot=held, patient=booking.patient, expires_at=NOON, nonce="n", token_sha256="t"
    )
    return [
        (BookingOut, booking, {}),
        (BookingOut, booking, {"request": as_specialist}),
        (BookingOut, booking, {"request": admin}),
        (VideoOut, {"join_url": None}, {}),
        (ProfileOut, patient, {}),
        (ProfileOut, specialist.user, {}),
        (SpecialistOut, specialist, {}),
        (SpecialistOut, specialist, {"show_private": True, "request": admin}),
        (SpecialtyOut, Specialty.objects.first(), {}),
        (VisitTypeOut, booking.slot.visit_type, {}),
        (RegisterOut, {"id": 1, "token": "t", "expires_at": NOON}, {}),
        (TokenOut, {"token": "t", "expires_at": NOON}, {}),
        (SlotOut, open_slot, {}),
        (SlotOut, selectors.slots_bookable().first(), {}),
        (SlotManagedOut, booking.slot, {}),
        (RuleOut, RuleFactory(specialist=specialist, valid_until=None), {}),
        (TimeOffOut, off, {}),
        (JoinOut, JoinGrant("room", "patient-1", None, "https://meet.example/room", NOON), {}),
        (NotificationOut, NotificationFactory(last_error="The 'To' number +12125550123 is bad"), {}),
        (QueueStatsOut, notification_stats(), {}),
        (AuditEventOut, event, {}),
        (WaitlistEntryOut, entry, {}),
        (WaitlistEntryOut, WaitlistEntryFactory(), {}),
        (OfferOut, offer, {}),
        (AdminOfferOut, offer, {}),
        (CaregiverOut, CaregiverFactory(patient=booking.patient), {}),
        (CaregiverOut, CaregiverFactory(patient=booking.patient, phone="", email="robin@example.com"), {}),
    ]


@pytest.mark.django_db
def test_every_shape_of_the_api_writes_what_drf_writes(broker_says):
    cases = api_objects()
    assert {shape for shape, _, _ in cases} == shapes()  # every shape of the apps is here
    for shape, instance, context in cases:
        assert instance is not None, shape
        assert shape(instance, context=context).data == drf_twin(shape)(instance, context=context).data, shape
