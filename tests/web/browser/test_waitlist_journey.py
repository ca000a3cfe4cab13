"""A patient's waitlist journey in a real browser: nothing suits on the find page, so they join
the waitlist from it; another patient cancels, the slot is held for them, and they book it on
the offer page their link opens; a lapsed link says so. axe on every page, screenshots at 1280
px, the CSP holding throughout (the page fixtures fail on a violation)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import Specialty
from scheduling import offers
from scheduling.models import Booking, Offer, WaitlistEntry
from scheduling.services import bookings
from tests.factories import BookingFactory, PatientFactory, SpecialistFactory


def _clinic():
    """Dr Sacks's only chronic-pain visit is booked by someone else; Ada finds nothing free."""
    # The catalogue's migration rows are gone: a transactional test empties the tables after it.
    Specialty.objects.get_or_create(slug="chronic-pain", defaults={"name": "Chronic pain"})
    sacks = SpecialistFactory(user__first_name="Oliver", user__last_name="Sacks")
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    taken = BookingFactory(slot__specialist=sacks, slot__start=start)
    ada = PatientFactory(user__first_name="Ada")
    return ada, taken


def _offer_path(patient) -> str:
    offer = Offer.objects.get(patient=patient, status="open")
    return urlsplit(offers.offer_url(offer)).path


def test_join_the_waitlist_from_find_then_book_the_offered_visit(page, sign_in, axe_check, screenshot):
    ada, taken = _clinic()
    sign_in(page, ada.user)
    page.goto("/find/")
    page.get_by_label("Condition").select_option(label="Chronic pain")
    page.get_by_role("button", name="Find the earliest visits").click()
    expect(page.get_by_text("No specialist has a free visit")).to_be_visible()

    page.get_by_role("link", name="Nothing suits? Tell me when a sooner visit frees up").click()
    expect(page.get_by_role("heading", name="Waitlist", exact=True)).to_be_visible()
    expect(page.get_by_label("Condition")).to_have_value("chronic-pain")  # from the search
    expect(page.get_by_label("State you are in")).to_have_value("NY")
    axe_check(page)
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_text("You are on the waitlist")).to_be_visible()
    expect(page.get_by_role("heading", name="Chronic pain · NY")).to_be_visible()
    axe_check(page)
    screenshot(page, "waitlist")

    # Someone cancels: the slot is held for Ada, and her message carries the link.
    bookings.booking_cancel(booking=taken, by=taken.patient.user)
    page.goto(_offer_path(ada))
    expect(page.get_by_role("heading", name="A sooner visit is held for you")).to_be_visible()
    expect(page.get_by_text("Oliver Sacks")).to_be_visible()
    expect(page.get_by_text(re.compile(r"E[SD]T"))).not_to_have_count(0)  # the zone named
    axe_check(page)
    screenshot(page, "offer")
    page.get_by_label("Reason for the visit (optional)").fill("Burning pain in both feet")
    page.get_by_role("button", name="Book it").click()

    page.wait_for_url("**/visits/*/")
    expect(page.get_by_text("Your visit is booked.")).to_be_visible()
    booking = Booking.objects.get(slot=taken.slot, status="confirmed")
    assert (booking.patient_id, booking.reason) == (ada.pk, "Burning pain in both feet")
    assert WaitlistEntry.objects.get(patient=ada).status == WaitlistEntry.Status.BOOKED


def test_a_lapsed_offer_link_says_so_plainly(page, axe_check, screenshot):
    ada, taken = _clinic()
    WaitlistEntry.objects.create(
        patient=ada, specialty=Specialty.objects.get(slug="chronic-pain"), state="NY"
    )
    bookings.booking_cancel(booking=taken, by=taken.patient.user)
    path = _offer_path(ada)
    expires_at = Offer.objects.get(patient=ada).expires_at
    with time_machine.travel(expires_at + dt.timedelta(minutes=1)):
        response = page.goto(path)
        assert response.status == 410
        expect(page.get_by_role("heading", name="This offer has run out")).to_be_visible()
        expect(page.get_by_role("button", name="Book it")).to_have_count(0)
        axe_check(page)
        screenshot(page, "offer-lapsed")
