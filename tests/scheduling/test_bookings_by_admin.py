"""The clinic books, cancels and moves visits for patients who call (`POST bookings/` takes
`patient` from admins): the same claim, policies and messages as the patient's own booking, with
the admin named in the audit trail."""

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from notifications.models import Notification
from scheduling.models import Booking, Slot
from tests.conftest import client_for
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


def book_for(client, slot, patient_id):
    return client.post(
        "/api/v1/bookings/",
        {"slot": slot.pk, "reason": "Called the clinic", "patient": patient_id},
        format="json",
    )


def test_an_admin_books_for_a_patient_with_the_patients_messages(admin_client, admin_user, patient):
    slot = SlotFactory()
    response = book_for(admin_client, slot, patient.pk)
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get(pk=response.json()["id"])
    assert (booking.patient, booking.slot, booking.status) == (patient, slot, "confirmed")
    assert Slot.objects.get(pk=slot.pk).status == Slot.Status.BOOKED
    assert Notification.objects.filter(booking=booking, kind="booking_confirmed").exists()
    event = AuditEvent.objects.get(object_type="booking", object_id=booking.pk, action="booking.confirmed")
    assert event.actor == admin_user


def test_an_admin_booking_keeps_the_patients_policies(admin_client, patient):
    soon = SlotFactory(start=timezone.now() + dt.timedelta(minutes=30))
    response = book_for(admin_client, soon, patient.pk)
    assert response.status_code == 400
    assert response.json()["code"] == "too_soon"


def test_an_admin_must_name_the_patient(admin_client):
    response = admin_client.post("/api/v1/bookings/", {"slot": SlotFactory().pk}, format="json")
    assert response.status_code == 400
    assert "patient" in response.json()["fields"]


@pytest.mark.parametrize("who", ["specialist", "admin", "nobody"])
def test_an_admin_books_only_for_a_patient(admin_client, admin_user, who):
    ids = {
        "specialist": lambda: SpecialistFactory().user.pk,
        "admin": lambda: admin_user.pk,
        "nobody": lambda: 10**9,
    }
    response = book_for(admin_client, SlotFactory(), ids[who]())
    assert response.status_code == 400
    assert response.json()["fields"]["patient"] == ["No such patient."]


def test_a_patient_books_only_for_themselves(patient_client, patient):
    other = PatientFactory()
    assert book_for(patient_client, SlotFactory(), other.pk).status_code == 400
    assert not Booking.objects.filter(patient=other).exists()
    assert book_for(patient_client, SlotFactory(), patient.pk).status_code == 201


def test_a_specialist_books_nobody(patient):
    client = client_for(SpecialistFactory().user)
    assert book_for(client, SlotFactory(), patient.pk).status_code == 403
