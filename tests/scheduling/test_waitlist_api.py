"""The waitlist over HTTP: joining, listing and leaving, and an offer's link (read, claim,
decline), and the admins' list of offers."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from scheduling import offers
from scheduling.models import Booking, Offer, Slot, WaitlistEntry
from scheduling.services import bookings
from tests.conftest import client_for
from tests.factories import BookingFactory, SpecialistFactory, WaitlistEntryFactory

pytestmark = pytest.mark.django_db


def free_a_slot() -> Slot:
    booking = BookingFactory()
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    return booking.slot


def offered(entry: WaitlistEntry) -> tuple[Offer, str]:
    free_a_slot()
    offer = Offer.objects.get(entry=entry, status="open")
    return offer, offers.offer_token(offer)


# --- Entries ----------------------------------------------------------------------------------


def test_a_patient_joins_the_waitlist_of_a_specialty_in_their_state(patient_client, patient):
    response = patient_client.post("/api/v1/waitlist/", {"specialty": "epilepsy"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id", "patient", "specialty", "state", "specialist", "visit_type", "earliest", "latest", "status",
        "created_at",
    }  # fmt: skip
    assert (body["patient"], body["specialty"], body["state"], body["status"]) == (
        patient.pk,
        "epilepsy",
        patient.state,
        "waiting",
    )


def test_joining_with_a_specialist_a_visit_type_and_dates(patient_client):
    specialist = SpecialistFactory()
    consult = specialist.visit_types.get(slug="consult")
    today = timezone.localdate()
    body = {
        "specialty": "chronic-pain",
        "state": "NJ",
        "specialist": specialist.pk,
        "visit_type": consult.pk,
        "earliest": today.isoformat(),
        "latest": (today + dt.timedelta(days=14)).isoformat(),
    }
    response = patient_client.post("/api/v1/waitlist/", body, format="json")
    assert response.status_code == 201
    assert {k: response.json()[k] for k in body} == body


def test_joining_with_dates_the_wrong_way_round_answers_400(patient_client):
    today = timezone.localdate()
    body = {
        "specialty": "epilepsy",
        "earliest": today.isoformat(),
        "latest": (today - dt.timedelta(days=1)).isoformat(),
    }
    response = patient_client.post("/api/v1/waitlist/", body, format="json")
    assert response.status_code == 400
    assert "latest" in response.json()["fields"]


def test_an_unknown_specialty_answers_400_naming_it(patient_client):
    response = patient_client.post("/api/v1/waitlist/", {"specialty": "astrology"}, format="json")
    assert response.status_code == 400
    assert "specialty" in response.json()["fields"]


def test_a_specialist_cannot_join_the_waitlist(specialist_client):
    response = specialist_client.post("/api/v1/waitlist/", {"specialty": "epilepsy"}, format="json")
    assert response.status_code == 403


def test_a_patient_lists_only_their_own_entries(patient_client, patient):
    mine = WaitlistEntryFactory(patient=patient)
    WaitlistEntryFactory()
    response = patient_client.get("/api/v1/waitlist/")
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["results"]] == [mine.pk]


def test_an_admin_lists_every_entry_filtered_by_status(admin_client):
    waiting = WaitlistEntryFactory()
    WaitlistEntryFactory(status="left")
    response = admin_client.get("/api/v1/waitlist/?status=waiting")
    assert [e["id"] for e in response.json()["results"]] == [waiting.pk]


def test_leaving_the_waitlist_answers_204_and_the_entry_reads_left(patient_client, patient):
    entry = WaitlistEntryFactory(patient=patient)
    response = patient_client.delete(f"/api/v1/waitlist/{entry.pk}/")
    assert response.status_code == 204
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT


def test_another_patients_entry_is_404(patient_client):
    entry = WaitlistEntryFactory()
    response = patient_client.delete(f"/api/v1/waitlist/{entry.pk}/")
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING


# --- An offer's link --------------------------------------------------------------------------


def test_the_holder_of_an_offers_token_reads_the_held_slot(anon):
    entry = WaitlistEntryFactory()
    offer, token = offered(entry)
    response = anon.get(f"/api/v1/offers/{token}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"slot", "specialist", "visit_type", "start", "end", "expires_at", "status"}
    assert (body["slot"], body["status"]) == (offer.slot_id, "open")


def test_an_unknown_offer_token_is_404(anon):
    response = anon.get("/api/v1/offers/not-a-token/")
    assert response.status_code == 404


def test_claiming_an_offer_answers_201_with_the_booking(anon):
    entry = WaitlistEntryFactory()
    offer, token = offered(entry)
    response = anon.post(f"/api/v1/offers/{token}/claim/", {"reason": "Daily headaches"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["patient"], body["slot"], body["status"], body["reason"]) == (
        entry.patient_id,
        offer.slot_id,
        "confirmed",
        "Daily headaches",
    )
    assert anon.get(f"/api/v1/offers/{token}/").json()["status"] == "claimed"


def test_claiming_a_lapsed_offer_answers_410_offer_closed(anon):
    offer, token = offered(WaitlistEntryFactory())
    with time_machine.travel(offer.expires_at + dt.timedelta(seconds=1)):
        response = anon.post(f"/api/v1/offers/{token}/claim/", {}, format="json")
        assert anon.get(f"/api/v1/offers/{token}/").json()["status"] == "lapsed"
    assert response.status_code == 410
    assert response.json()["code"] == "offer_closed"


def test_booking_a_held_slot_through_bookings_answers_409(patient_client):
    offer, _ = offered(WaitlistEntryFactory())
    response = patient_client.post("/api/v1/bookings/", {"slot": offer.slot_id}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert not Booking.objects.filter(slot=offer.slot, status="confirmed").exists()


def test_declining_an_offer_answers_200_and_offers_the_slot_to_the_next(anon):
    offer, token = offered(WaitlistEntryFactory())
    following = WaitlistEntryFactory()
    response = anon.post(f"/api/v1/offers/{token}/decline/")
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert Offer.objects.get(slot=offer.slot, status="open").entry == following


def test_declining_a_declined_offer_answers_410(anon):
    _, token = offered(WaitlistEntryFactory())
    anon.post(f"/api/v1/offers/{token}/decline/")
    response = anon.post(f"/api/v1/offers/{token}/decline/")
    assert response.status_code == 410
    assert response.json()["code"] == "offer_closed"


# --- Admins -----------------------------------------------------------------------------------


def test_admins_list_offers_by_status(admin_client):
    offer, _ = offered(WaitlistEntryFactory())
    response = admin_client.get("/api/v1/admin/offers/?status=open")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": offer.pk,
            "entry": offer.entry_id,
            "slot": offer.slot_id,
            "patient": offer.patient_id,
            "status": "open",
            "expires_at": offer.expires_at.isoformat().replace("+00:00", "Z"),
            "created_at": offer.created_at.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_a_patient_cannot_list_offers(patient_client):
    assert patient_client.get("/api/v1/admin/offers/").status_code == 403


def test_waitlist_needs_a_token(anon):
    assert anon.get("/api/v1/waitlist/").status_code == 401


def test_a_patient_with_two_entries_sees_both(patient):
    WaitlistEntryFactory(patient=patient)
    WaitlistEntryFactory(patient=patient)
    response = client_for(patient.user).get("/api/v1/waitlist/")
    assert response.json()["count"] == 2
