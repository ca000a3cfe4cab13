"""A patient's journey in a real browser: find the earliest chronic-pain visit in NY, book it,
see it among their visits, cancel it and find the slot offered again; a slot taken meanwhile;
the profile's errors beside their fields; the same booking on a phone. axe on every page,
screenshots at 1280 and 390 px, the CSP holding throughout (the page fixtures fail on a
violation)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import Specialty
from scheduling.models import Booking, Slot
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory


def _check(page, axe_check, screenshot, name):
    axe_check(page)
    screenshot(page, name)


def _clinic():
    """Two chronic-pain specialists licensed in NY and one elsewhere; Dr Sacks is the soonest."""
    # The catalogue's migration rows are gone: a transactional test empties the tables after it.
    Specialty.objects.get_or_create(slug="chronic-pain", defaults={"name": "Chronic pain"})
    Specialty.objects.get_or_create(slug="sleep", defaults={"name": "Sleep"})
    soon = (timezone.now() + dt.timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    sacks = SpecialistFactory(user__first_name="Oliver", user__last_name="Sacks", bio="Pain and movement.")
    levi = SpecialistFactory(
        user__first_name="Rita", user__last_name="Levi", specialties=["chronic-pain", "sleep"]
    )
    far = SpecialistFactory(user__first_name="Cal", user__last_name="Ifornia", states=["CA"])
    first = SlotFactory(specialist=sacks, start=soon)
    SlotFactory(specialist=sacks, start=soon + dt.timedelta(hours=2))
    SlotFactory(specialist=sacks, start=soon + dt.timedelta(days=1))
    SlotFactory(specialist=levi, start=soon + dt.timedelta(days=1, hours=1))
    SlotFactory(specialist=far, start=soon - dt.timedelta(hours=3))
    patient = PatientFactory(user__first_name="Ada", sms_opt_in=True)
    return patient, first


def _find_chronic_pain(page):
    page.get_by_role("navigation").get_by_role("link", name="Find a visit").click()
    page.get_by_label("Condition").select_option(label="Chronic pain")
    expect(page.get_by_label("State you are in")).to_have_value("NY")  # from the profile
    page.get_by_role("button", name="Find the earliest visits").click()
    page.wait_for_url("**/find/?*")


def test_find_book_see_cancel_and_find_the_slot_again(page, sign_in, axe_check, screenshot):
    patient, first = _clinic()
    sign_in(page, patient.user)
    page.goto("/")
    _find_chronic_pain(page)
    results = page.get_by_role("main").get_by_role("listitem")
    expect(results).to_have_count(2)  # the CA-only specialist is not licensed in NY
    expect(results.first).to_contain_text("Oliver Sacks")
    expect(results.first).to_contain_text(re.compile(r"E[SD]T"))  # the zone named
    _check(page, axe_check, screenshot, "find-results")

    # Other times: the specialist's week, by day.
    page.get_by_role("link", name="Other times with Oliver Sacks").click()
    expect(page.get_by_role("heading", name=re.compile("Oliver Sacks"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"\d:00 (AM|PM)"))).to_have_count(3)
    _check(page, axe_check, screenshot, "specialist")
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_text("No free times this week.")).to_be_visible()
    page.go_back()
    page.go_back()

    page.get_by_role("link", name="Book this visit with Oliver Sacks").click()
    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    _check(page, axe_check, screenshot, "book")
    page.get_by_label("Reason for the visit").fill("Lower back pain for a month")
    sent = {
        name: page.get_by_role("main").locator(f"input[name={name}]").input_value()
        for name in ("key", "csrfmiddlewaretoken")
    }
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    booking = Booking.objects.get(slot=first)
    expect(page.get_by_role("link", name="Join link for this visit")).to_have_attribute(
        "href", re.compile(r"/v/")
    )
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    expect(page.get_by_text("By text message (SMS)")).to_be_visible()
    _check(page, axe_check, screenshot, "booked")

    # The same form sent again (a double tap, a resent request) leads to the same booking.
    again = page.request.post(f"/book/{first.pk}/", form={**sent, "reason": "Lower back pain for a month"})
    assert again.ok and again.url.endswith(f"/visits/{booking.pk}/")
    assert Booking.objects.filter(patient=patient).count() == 1

    page.get_by_role("navigation").get_by_role("link", name="My visits").click()
    upcoming = page.get_by_role("main").get_by_role("listitem")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text("Oliver Sacks")
    expect(upcoming).to_contain_text("Confirmed")
    _check(page, axe_check, screenshot, "visits")

    upcoming.get_by_role("link").click()
    page.get_by_role("link", name="Move to another time").click()
    expect(page.get_by_role("radio")).to_have_count(2)
    _check(page, axe_check, screenshot, "reschedule")
    page.get_by_role("link", name="Keep the current time").click()

    page.get_by_label("Why are you cancelling? (optional)").fill("Feeling better")
    page.get_by_role("button", name="Cancel this visit").click()
    expect(page.get_by_role("status")).to_contain_text("Your visit is cancelled")
    expect(page.get_by_role("main")).to_contain_text("Cancelled")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    _check(page, axe_check, screenshot, "cancelled")

    # The slot is offered again, first.
    _find_chronic_pain(page)
    expect(page.get_by_role("main").get_by_role("listitem").first).to_contain_text("Oliver Sacks")
    page.get_by_role("link", name="Book this visit with Oliver Sacks").click()
    assert page.url.endswith(f"/book/{first.pk}/")


def test_a_slot_taken_meanwhile_offers_the_next_free_ones(page, sign_in, axe_check, screenshot):
    patient, first = _clinic()
    sign_in(page, patient.user)
    page.goto(f"/book/{first.pk}/")
    bookings.booking_create(user=PatientFactory().user, slot_id=first.pk)
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_role("alert")).to_contain_text("no longer available")
    expect(page.get_by_role("heading", name="Next free times with this specialist")).to_be_visible()
    _check(page, axe_check, screenshot, "book-taken")
    page.get_by_role("main").get_by_role("link", name=re.compile(r"\d:00 (AM|PM)")).first.click()
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    assert Booking.objects.filter(patient=patient, status=Booking.Status.CONFIRMED).count() == 1
    assert Slot.objects.get(pk=first.pk).status == Slot.Status.BOOKED


def test_the_profile_shows_errors_beside_fields_and_saves(page, sign_in, axe_check, screenshot):
    patient, _ = _clinic()
    sign_in(page, patient.user)
    page.goto("/")
    page.get_by_role("navigation").get_by_role("link", name="Profile").click()
    expect(page.get_by_label("Text me reminders (SMS)")).to_have_accessible_description(
        re.compile("stops reminders by SMS")
    )
    _check(page, axe_check, screenshot, "profile")
    page.get_by_label("Mobile phone").fill("12345")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Mobile phone")).to_have_accessible_description(re.compile("valid"))
    _check(page, axe_check, screenshot, "profile-error")
    page.get_by_label("Mobile phone").fill("+12125550177")
    page.get_by_label("Text me reminders (SMS)").uncheck()
    page.get_by_label("Time zone").select_option("America/Los_Angeles")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
    expect(page.get_by_role("contentinfo")).to_contain_text("America/Los_Angeles")
    _check(page, axe_check, screenshot, "profile-saved")
    patient.refresh_from_db()
    assert (str(patient.phone), patient.sms_opt_in) == ("+12125550177", False)


def test_booking_on_a_phone(phone_page, sign_in, axe_check, screenshot):
    page = phone_page
    patient, first = _clinic()
    sign_in(page, patient.user)
    page.goto("/find/")
    _check(page, axe_check, screenshot, "find")
    _find_chronic_pain(page)
    _check(page, axe_check, screenshot, "find-results")
    page.get_by_role("link", name="Other times with Oliver Sacks").click()
    page.wait_for_url("**/specialists/**")
    _check(page, axe_check, screenshot, "specialist")
    page.go_back()
    page.get_by_role("link", name="Book this visit with Oliver Sacks").tap()
    page.wait_for_url("**/book/**")
    _check(page, axe_check, screenshot, "book")
    page.get_by_label("Reason for the visit").fill("Neck pain")
    page.get_by_role("button", name="Confirm the booking").tap()
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    _check(page, axe_check, screenshot, "booked")
    assert Booking.objects.get(slot=first).patient == patient
    page.get_by_role("navigation").get_by_role("link", name="My visits").tap()
    page.wait_for_url("**/visits/")
    _check(page, axe_check, screenshot, "visits")
    page.goto(f"/visits/{Booking.objects.get(slot=first).pk}/reschedule/")
    _check(page, axe_check, screenshot, "reschedule")
    page.goto("/profile/")
    _check(page, axe_check, screenshot, "profile")


def test_a_visitor_not_signed_in_sees_times_in_the_browsers_zone(browser, live_server, transactional_db):
    from tests.web.browser.conftest import _open

    _patient, first = _clinic()
    pages = _open(
        browser, live_server, viewport={"width": 1280, "height": 800}, timezone_id="America/Los_Angeles"
    )
    page = next(pages)
    page.goto("/")  # the first page tells the server the browser's zone (web/static/web/zone.js)
    page.goto("/find/")
    page.get_by_label("Condition").select_option(label="Chronic pain")
    page.get_by_role("button", name="Find the earliest visits").click()
    page.wait_for_url("**/find/?*")
    pacific = first.start.astimezone(ZoneInfo("America/Los_Angeles"))
    clock = f"{pacific.hour % 12 or 12}:{pacific:%M} {pacific:%p} {pacific:%Z}"  # "7:00 AM PST"
    expect(page.get_by_role("main").get_by_role("listitem").first).to_contain_text(clock)
    expect(page.get_by_role("contentinfo")).to_contain_text("Times are shown in America/Los_Angeles")
    next(pages, None)  # closes the context, checking the CSP held
