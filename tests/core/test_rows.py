"""`core.rows`: what it stores and reads is what the ORM would store and read."""

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from clinic.models import Patient, User
from core import rows
from core.models import AuditEvent
from core.rows import insert_one
from scheduling.models import Booking, Slot, VideoVisit
from tests.factories import BookingFactory, PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)


def test_the_row_reads_back_as_the_instance_held_it():
    actor = PatientFactory().user
    event = insert_one(
        AuditEvent(
            actor=actor,
            action="booking.cancelled",
            object_type="booking",
            object_id=7,
            at=MOMENT,
            before={"status": "confirmed", "slot": 3},
            after={"status": "cancelled", "slot": 3, "by": None},
        )
    )
    assert event.pk is not None
    assert not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.action, stored.object_type, stored.object_id, stored.at) == (
        actor.pk,
        "booking.cancelled",
        "booking",
        7,
        MOMENT,
    )
    assert stored.before == {"status": "confirmed", "slot": 3}
    assert stored.after == {"status": "cancelled", "slot": 3, "by": None}


def test_defaults_and_automatic_timestamps_are_filled_in():
    slot = SlotFactory(status="booked")
    with time_machine.travel(MOMENT, tick=False):
        booking = insert_one(Booking(patient=PatientFactory(), slot=slot))
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.status, stored.reason, stored.cancelled_by, stored.cancelled_at) == (
        "confirmed",
        "",
        "",
        None,
    )
    assert stored.created_at == stored.updated_at == booking.created_at == MOMENT


def test_a_constraint_violation_raises_integrity_error():
    first = BookingFactory()
    insert_one(
        VideoVisit(
            booking=first, room="visit-1", nonce="n1", patient_token_sha256="p1", specialist_token_sha256="s1"
        )
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_one(
            VideoVisit(
                booking=BookingFactory(),
                room="visit-1",  # unique
                nonce="n2",
                patient_token_sha256="p2",
                specialist_token_sha256="s2",
            )
        )
    assert VideoVisit.objects.filter(room="visit-1").count() == 1


def _visit(room: str) -> VideoVisit:
    return VideoVisit(
        room=room, nonce=room, patient_token_sha256=f"p-{room}", specialist_token_sha256=f"s-{room}"
    )


def test_a_linked_pair_is_stored_with_the_child_referring_to_its_parent():
    slot = SlotFactory(status="booked")
    with time_machine.travel(MOMENT, tick=False):
        booking = rows.insert_linked(
            Booking(patient=PatientFactory(), slot=slot), _visit("visit-9"), link="booking"
        )
    stored = VideoVisit.objects.select_related("booking").get(room="visit-9")
    assert stored.booking.pk == booking.pk
    assert (stored.booking.slot_id, stored.booking.status, stored.created_at) == (
        slot.pk,
        "confirmed",
        MOMENT,
    )
    assert booking.video.pk == stored.pk
    assert not booking._state.adding and not booking.video._state.adding


def test_a_parent_a_constraint_refuses_stores_no_child():
    slot = SlotFactory(status="booked")
    BookingFactory(slot=slot, status="confirmed")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_linked(Booking(patient=PatientFactory(), slot=slot), _visit("visit-10"), link="booking")
    assert Booking.objects.filter(slot=slot).count() == 1
    assert not VideoVisit.objects.filter(room="visit-10").exists()


def test_a_row_read_by_its_columns_makes_the_instance_the_orm_loads():
    patient = PatientFactory(phone="+12125550142", timezone="America/Chicago")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(User, 'u')} FROM clinic_user u WHERE u.id = %s", [patient.pk])
        user = rows.instance(User, rows.fetchone(cursor))
        cursor.execute(
            f"SELECT {rows.columns(Patient, 'p')} FROM clinic_patient p WHERE p.user_id = %s", [patient.pk]
        )
        read = rows.instance(Patient, rows.fetchone(cursor))
    loaded = Patient.objects.get(pk=patient.pk)

    assert user.date_joined == loaded.user.date_joined  # a datetime, also where SQLite sends text
    assert (user.email, user.role, user.is_active) == (loaded.user.email, loaded.user.role, True)
    assert [getattr(read, f.attname) for f in Patient._meta.concrete_fields] == [
        getattr(loaded, f.attname) for f in Patient._meta.concrete_fields
    ]
    assert str(read.timezone) == "America/Chicago"
    assert not read._state.adding


def test_columns_are_read_by_name_whatever_their_order_and_whatever_else_the_row_holds():
    slot = SlotFactory()
    backwards = ", ".join(reversed(rows.columns(Slot, "s").split(", ")))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 7 AS extra, {backwards} FROM scheduling_slot s WHERE s.id = %s", [slot.pk])
        row = rows.fetchone(cursor)
    read = rows.instance(Slot, row)
    assert [getattr(read, f.attname) for f in Slot._meta.concrete_fields] == [
        getattr(slot, f.attname) for f in Slot._meta.concrete_fields
    ]
    assert row["extra"] == 7


@dataclass(frozen=True)
class Seen:
    start: dt.datetime
    open: bool
    ended: dt.datetime | None
    id: int


def test_a_record_reads_its_fields_by_name_as_the_orm_reads_their_types():
    slot = SlotFactory(start=MOMENT, end=MOMENT + dt.timedelta(hours=1))
    seen = Seen(start=MOMENT, open=True, ended=None, id=slot.pk)
    # Expressions, not columns: SQLite then sends the datetime as text, the test as 0 or 1.
    sql = (
        "SELECT s.status = 'open' AS open, NULL AS ended, COALESCE(s.start, s.start) AS start, "
        "s.id AS id, s.specialist_id AS specialist_id FROM scheduling_slot s WHERE s.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [slot.pk])
        assert rows.record(Seen, rows.fetchone(cursor)) == seen
        cursor.execute(sql, [slot.pk])
        assert rows.records(Seen, cursor) == [seen]


def test_no_row_reads_none():
    with connection.cursor() as cursor:
        cursor.execute("SELECT s.id AS id FROM scheduling_slot s WHERE s.id = %s", [0])
        assert rows.fetchone(cursor) is None
