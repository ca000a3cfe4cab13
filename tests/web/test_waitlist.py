"""The waitlist's pages: joining from the find page, seeing and leaving entries, and the offer
page an offer's link opens (book it, no thanks, and a closed offer saying so)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from scheduling import offers
from scheduling.models import Booking, Offer, WaitlistEntry
from scheduling.services import bookings
from tests.factories import BookingFactory, WaitlistEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_web(patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def offer_for(entry: WaitlistEntry) -> tuple[Offer, str]:
    """Someone cancels; the slot is held for `entry`."""
    booking = BookingFactory()
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    offer = Offer.objects.get(slot=booking.slot, status="open")
    assert offer.entry == entry
    return offer, offers.offer_token(offer)


def test_the_find_page_invites_to_the_waitlist_with_the_search(client):
    response = client.get("/find/", {"specialty": "epilepsy", "state": "NJ"})
    content = response.content.decode()
    assert "Tell me when a sooner visit frees up" in content
    assert "/waitlist/?specialty=epilepsy&amp;state=NJ" in content


def test_the_waitlist_page_fills_the_form_from_the_search(patient_web):
    response = patient_web.get("/waitlist/", {"specialty": "epilepsy", "state": "NJ"})
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["specialty"].value(), form["state"].value()) == ("epilepsy", "NJ")


def test_joining_the_waitlist_from_the_page(patient_web, patient):
    response = patient_web.post("/waitlist/", {"specialty": "epilepsy", "state": "NY"}, follow=True)
    assert response.status_code == 200
    assert "You are on the waitlist" in response.content.decode()
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.specialty.slug, entry.state, entry.status) == ("epilepsy", "NY", "waiting")


def test_dates_the_wrong_way_round_are_refused_beside_the_field(patient_web, patient):
    body = {"specialty": "epilepsy", "state": "NY", "earliest": "2030-02-01", "latest": "2030-01-01"}
    response = patient_web.post("/waitlist/", body)
    assert response.status_code == 400
    assert response.context["form"].errors["latest"]
    assert not WaitlistEntry.objects.filter(patient=patient).exists()


def test_the_waitlist_page_lists_the_patients_entries_and_leaving_one(patient_web, patient):
    entry = WaitlistEntryFactory(patient=patient)
    WaitlistEntryFactory()  # someone else's
    response = patient_web.get("/waitlist/")
    assert [e for e, _ in response.context["active"]] == [entry]
    response = patient_web.post(f"/waitlist/{entry.pk}/leave/", follow=True)
    assert "You left this waitlist." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT


def test_leaving_someone_elses_entry_is_404(patient_web):
    entry = WaitlistEntryFactory()
    assert patient_web.post(f"/waitlist/{entry.pk}/leave/").status_code == 404


def test_the_waitlist_page_needs_a_signed_in_patient(client):
    response = client.get("/waitlist/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_offer_page_shows_the_held_slot_in_the_patients_zone(client):
    entry = WaitlistEntryFactory(patient__timezone="America/Los_Angeles")
    offer, token = offer_for(entry)
    response = client.get(f"/o/{token}")
    assert response.status_code == 200
    content = response.content.decode()
    assert "A sooner visit is held for you" in content
    assert offer.slot.specialist.user.get_full_name() in content
    assert offer.slot.start.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Z") in content
    assert "Times are shown in America/Los_Angeles" in content
    assert "Book it" in content and "No thanks" in content


def test_book_it_on_the_offer_page_books_the_visit(client):
    entry = WaitlistEntryFactory()
    offer, token = offer_for(entry)
    response = client.post(f"/o/{token}", {"action": "claim", "reason": "Tingling hands"})
    assert response.status_code == 200
    assert "Your visit is booked" in response.content.decode()
    booking = Booking.objects.get(slot=offer.slot, status="confirmed")
    assert (booking.patient, booking.reason) == (entry.patient, "Tingling hands")


def test_the_signed_in_patient_who_books_it_goes_to_their_visit(patient):
    entry = WaitlistEntryFactory(patient=patient)
    offer, token = offer_for(entry)
    client = Client()
    client.force_login(patient.user)
    response = client.post(f"/o/{token}", {"action": "claim", "reason": ""})
    booking = Booking.objects.get(slot=offer.slot, status="confirmed")
    assert response.status_code == 302
    assert response["Location"] == f"/visits/{booking.pk}/"


def test_no_thanks_passes_the_slot_on(client):
    entry = WaitlistEntryFactory()
    offer, token = offer_for(entry)
    following = WaitlistEntryFactory()
    response = client.post(f"/o/{token}", {"action": "decline"})
    assert response.status_code == 200
    assert "We offer this time to the next person" in response.content.decode()
    assert Offer.objects.get(slot=offer.slot, status="open").entry == following


def test_a_lapsed_offer_page_answers_410_and_says_so(client):
    offer, token = offer_for(WaitlistEntryFactory())
    with time_machine.travel(offer.expires_at + dt.timedelta(minutes=1)):
        response = client.get(f"/o/{token}")
    assert response.status_code == 410
    assert "This offer has run out" in response.content.decode()
    assert "Book it" not in response.content.decode()


def test_a_claimed_offer_page_answers_410_and_says_so(client):
    _offer, token = offer_for(WaitlistEntryFactory())
    client.post(f"/o/{token}", {"action": "claim"})
    response = client.get(f"/o/{token}")
    assert response.status_code == 410
    assert "This visit is already booked" in response.content.decode()


def test_booking_a_lapsed_offer_on_the_page_answers_410(client):
    offer, token = offer_for(WaitlistEntryFactory())
    with time_machine.travel(offer.expires_at + dt.timedelta(minutes=1)):
        response = client.post(f"/o/{token}", {"action": "claim"})
    assert response.status_code == 410
    assert not Booking.objects.filter(slot=offer.slot, status="confirmed").exists()


def test_an_unknown_offer_link_answers_404(client):
    response = client.get("/o/not-a-token")
    assert response.status_code == 404
    assert "We can't find this offer" in response.content.decode()


def test_my_visits_links_to_the_waitlist(patient_web):
    assert "/waitlist/" in patient_web.get("/visits/").content.decode()


def test_the_waitlist_page_links_to_a_visit_held_for_the_patient(patient_web, patient):
    entry = WaitlistEntryFactory(patient=patient)
    _, token = offer_for(entry)
    content = patient_web.get("/waitlist/").content.decode()
    assert f'href="/o/{token}"' in content
