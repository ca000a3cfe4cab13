"""No double booking, ever, nor a held slot going to anyone but its offer's patient: real concurrent
transactions on PostgreSQL, and on SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling.models import Booking, Offer, Slot, WaitlistEntry
from scheduling.offers import offer_token
from scheduling.services import bookings
from tests.conftest import token_for
from tests.factories import (
    BookingFactory,
    PatientFactory,
    SlotFactory,
    SpecialistFactory,
    WaitlistEntryFactory,
)
from tests.integration.race import race

RACERS = 20
ROOT = Path(__file__).resolve().parents[2]


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def tokens_for(users) -> list[str]:
    return [token_for(user) for user in users]


def in_days(days: int) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_patients_racing_for_one_slot_make_exactly_one_booking():
    slot = SlotFactory()
    tokens = tokens_for(PatientFactory().user for _ in range(RACERS))

    statuses = race(
        RACERS,
        lambda i: (
            client_with(tokens[i]).post("/api/v1/bookings/", {"slot": slot.pk}, format="json").status_code
        ),
    )

    assert sorted(statuses) == [201] + [409] * (RACERS - 1)
    assert Booking.objects.filter(slot=slot, status="confirmed").count() == 1
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BOOKED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_patient_racing_for_many_slots_stops_at_the_cap(settings):
    settings.MAX_ACTIVE_BOOKINGS = 3
    patient = PatientFactory()
    slots = [SlotFactory(start=in_days(2 + i)) for i in range(10)]
    token = tokens_for([patient.user])[0]

    statuses = race(
        10,
        lambda i: client_with(token).post("/api/v1/bookings/", {"slot": slots[i].pk}, format="json"),
    )

    assert sorted(r.status_code for r in statuses) == [201] * 3 + [400] * 7
    assert {r.json()["code"] for r in statuses if r.status_code == 400} == {"too_many_active_bookings"}
    assert Booking.objects.filter(patient=patient, status="confirmed").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_racing_with_one_idempotency_key_make_one_booking():
    slot = SlotFactory()
    token = tokens_for([PatientFactory().user])[0]

    answers = race(
        10,
        lambda i: client_with(token).post(
            "/api/v1/bookings/", {"slot": slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY="once"
        ),
    )

    assert [r.status_code for r in answers] == [201] * 10
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in answers) == 9
    assert {r.json()["id"] for r in answers} == {Booking.objects.get(slot=slot).pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_reschedules_onto_one_slot_move_exactly_one_booking():
    specialist = SpecialistFactory()
    bookings = [
        BookingFactory(slot__specialist=specialist, slot__start=in_days(3 + i)) for i in range(RACERS)
    ]
    target = SlotFactory(specialist=specialist, start=in_days(3 + RACERS))
    tokens = tokens_for(b.patient.user for b in bookings)

    def reschedule(i: int) -> int:
        url = f"/api/v1/bookings/{bookings[i].pk}/reschedule/"
        return client_with(tokens[i]).post(url, {"slot": target.pk}, format="json").status_code

    statuses = race(RACERS, reschedule)

    assert sorted(statuses) == [200] + [409] * (RACERS - 1)
    assert Booking.objects.filter(slot=target, status="confirmed").count() == 1
    assert Booking.objects.filter(status="rescheduled").count() == 1
    # The losers kept their visits, on their own slots.
    assert Booking.objects.filter(status="confirmed").count() == RACERS
    assert Slot.objects.filter(status="booked").count() == RACERS


def cancel_and_reschedule_at_once(booking: Booking, target: Slot, token: str) -> list[int]:
    requests = [
        (f"/api/v1/bookings/{booking.pk}/cancel/", {}),
        (f"/api/v1/bookings/{booking.pk}/reschedule/", {"slot": target.pk}),
    ]
    return race(2, lambda i: client_with(token).post(*requests[i], format="json").status_code)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_racing_reschedule_leaves_one_consistent_outcome():
    for _ in range(10):
        booking = BookingFactory(slot__start=in_days(3))
        target = SlotFactory(specialist=booking.slot.specialist, start=in_days(4))
        token = tokens_for([booking.patient.user])[0]
        cancel_status, reschedule_status = cancel_and_reschedule_at_once(booking, target, token)

        assert sorted([cancel_status, reschedule_status]) == [200, 409]
        booking.refresh_from_db()
        booking.slot.refresh_from_db()
        target.refresh_from_db()
        assert booking.slot.status == Slot.Status.OPEN
        if cancel_status == 200:
            assert booking.status == "cancelled"
            assert target.status == Slot.Status.OPEN
            assert not Booking.objects.filter(slot=target).exists()
        else:
            assert booking.status == "rescheduled"
            assert target.status == Slot.Status.BOOKED
            assert Booking.objects.get(slot=target).rescheduled_from_id == booking.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_single_slots_that_overlap_make_exactly_one():
    specialist = SpecialistFactory()
    consult = specialist.visit_types.get(slug="consult")
    token = tokens_for([specialist.user])[0]
    start = in_days(3)

    def add(i: int) -> int:
        body = {"visit_type": consult.pk, "start": (start + dt.timedelta(minutes=5 * i)).isoformat()}
        return client_with(token).post("/api/v1/slots/", body, format="json").status_code

    statuses = race(8, add)

    assert sorted(statuses) == [201] + [409] * 7
    assert Slot.objects.filter(specialist=specialist).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_excludes_overlapping_slots_even_when_the_service_is_bypassed():
    slot = SlotFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Slot.objects.create(
            specialist=slot.specialist,
            visit_type=slot.visit_type,
            start=slot.start + dt.timedelta(minutes=30),
            end=slot.end + dt.timedelta(minutes=30),
        )
    assert caught.value.__cause__.sqlstate == "23P01"


@pytest.mark.django_db
def test_a_second_confirmed_booking_of_one_slot_is_refused_by_the_database():
    booking = BookingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(patient=PatientFactory(), slot=booking.slot, status="confirmed")


def test_twenty_patients_racing_for_one_slot_on_sqlite_make_exactly_one_booking(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.sqlite_race", str(RACERS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(outcome["statuses"]) == [201] + [409] * (RACERS - 1)
    assert outcome["confirmed"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancels_racing_a_rule_delete_leave_no_slot_open_that_no_rule_offers():
    from scheduling.services import bookings, rules

    specialist = SpecialistFactory()
    rule = rules.rule_create(
        specialist=specialist,
        weekday=timezone.now().weekday(),
        start_time=dt.time(9),
        end_time=dt.time(12),
        visit_type=specialist.visit_types.first(),
    )
    held = []
    for slot in rule.slots.order_by("-start")[: RACERS - 1]:
        Slot.objects.filter(pk=slot.pk).update(status=Slot.Status.BOOKED)
        held.append(BookingFactory(slot=slot))

    race(
        RACERS,
        lambda i: (
            rules.rule_delete(rule=rule)
            if i == 0
            else bookings.booking_cancel(booking=held[i - 1], by=specialist.user)
        ),
    )

    assert not Slot.objects.filter(specialist=specialist, status=Slot.Status.OPEN).exists()
    assert set(Slot.objects.filter(specialist=specialist).values_list("status", flat=True)) == {"retired"}


def held_for_the_waitlist(**slot) -> tuple[Offer, str]:
    """A slot freed by a cancellation and held for a waitlisted patient: its offer and token."""
    WaitlistEntryFactory()
    booking = BookingFactory(**{f"slot__{k}": v for k, v in slot.items()})
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    offer = Offer.objects.get(slot=booking.slot, status="open")
    return offer, offer_token(offer)


def claim_and_book_at_once(offer: Offer, token: str, other: str) -> list[Any]:
    requests = [
        lambda: APIClient().post(f"/api/v1/offers/{token}/claim/", {}, format="json"),
        lambda: client_with(other).post("/api/v1/bookings/", {"slot": offer.slot_id}, format="json"),
    ]
    return race(2, lambda i: requests[i]())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_holder_claiming_a_held_slot_races_another_patients_booking_and_only_the_holder_wins():
    for _ in range(5):
        offer, token = held_for_the_waitlist(start=in_days(3))
        other = tokens_for([PatientFactory().user])[0]

        claim, booking = claim_and_book_at_once(offer, token, other)

        assert (claim.status_code, booking.status_code) == (201, 409)
        assert booking.json()["code"] == "slot_unavailable"
        assert Booking.objects.get(slot=offer.slot, status="confirmed").patient_id == offer.patient_id
        offer.refresh_from_db()
        assert offer.status == Offer.Status.CLAIMED


def claim_and_take_time_off_at_once(token: str, slot: Slot) -> list[int]:
    specialist = tokens_for([slot.specialist.user])[0]
    body = {"start": slot.start.isoformat(), "end": slot.end.isoformat()}
    requests = [
        lambda: APIClient().post(f"/api/v1/offers/{token}/claim/", {}, format="json").status_code,
        lambda: client_with(specialist).post("/api/v1/time-off/", body, format="json").status_code,
    ]
    return race(2, lambda i: requests[i]())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_racing_time_off_over_the_held_slot_leaves_one_consistent_outcome():
    for _ in range(5):
        offer, token = held_for_the_waitlist(start=in_days(3))
        slot = Slot.objects.select_related("specialist__user").get(pk=offer.slot_id)

        claim, time_off = claim_and_take_time_off_at_once(token, slot)

        slot.refresh_from_db()
        offer.refresh_from_db()
        if claim == 201:  # the visit stands, and the time off was refused for it
            assert time_off == 409
            assert (slot.status, offer.status) == (Slot.Status.BOOKED, Offer.Status.CLAIMED)
        else:  # the time off came first: the offer is withdrawn, nothing booked
            assert (claim, time_off) == (410, 201)
            assert (slot.status, offer.status) == (Slot.Status.BLOCKED, Offer.Status.WITHDRAWN)
            assert not Booking.objects.filter(slot=slot, status="confirmed").exists()


def cancel_both_at_once(first: Booking, second: Booking) -> list[int]:
    tokens = tokens_for([first.patient.user, second.patient.user])
    urls = [f"/api/v1/bookings/{first.pk}/cancel/", f"/api/v1/bookings/{second.pk}/cancel/"]
    return race(2, lambda i: client_with(tokens[i]).post(urls[i], {}, format="json").status_code)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_offer_one_waiting_patient_one_slot():
    for _ in range(5):
        entry = WaitlistEntryFactory()
        specialist = SpecialistFactory()
        first = BookingFactory(slot__specialist=specialist, slot__start=in_days(3))
        second = BookingFactory(slot__specialist=specialist, slot__start=in_days(4))

        assert cancel_both_at_once(first, second) == [200, 200]

        assert Offer.objects.filter(entry=entry, status="open").count() == 1
        statuses = sorted(
            Slot.objects.filter(pk__in=[first.slot_id, second.slot_id]).values_list("status", flat=True)
        )
        assert statuses == [Slot.Status.HELD, Slot.Status.OPEN]
        WaitlistEntry.objects.filter(pk=entry.pk).update(status="left")  # out of the next round's way
