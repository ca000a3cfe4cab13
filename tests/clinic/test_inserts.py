"""`insert_one` stores a new instance exactly as `save()` would."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from clinic.inserts import insert_one
from clinic.models import AuditEvent
from scheduling.models import Booking, VideoVisit
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
