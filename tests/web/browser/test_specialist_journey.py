"""A specialist's workspace in a real browser: they set weekly hours (an error first, beside its
field) and see the slots in their week, take time off over a booked visit and resolve the
conflict by cancelling it; on a phone, they mark a visit that has started. axe on every page,
screenshots at 1280 and 390 px, the CSP holding throughout."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import User, VisitType
from scheduling.models import Booking, Slot, TimeOff
from tests.factories import (
    BookingFactory,
    PatientFactory,
    RuleFactory,
    SlotFactory,
    SpecialistFactory,
    UserFactory,
)

NY = ZoneInfo("America/New_York")


def _check(page, axe_check, screenshot, name):
    axe_check(page)
    screenshot(page, name)


def _next_monday() -> dt.date:
    today = timezone.now().astimezone(NY).date()
    return today + dt.timedelta(days=7 - today.weekday())


def _booked(specialist, start, first_name, reason):
    visit_type = VisitType.objects.get(slug="consult")
    slot = SlotFactory(specialist=specialist, visit_type=visit_type, start=start, status=Slot.Status.BOOKED)
    patient = PatientFactory(user=UserFactory(first_name=first_name))
    return BookingFactory(slot=slot, patient=patient, reason=reason)


def test_a_specialist_sets_hours_sees_slots_and_resolves_time_off_over_a_visit(
    page, sign_in, axe_check, screenshot
):
    # The data first (Playwright's loop runs in this thread while the browser is open).
    doctor = SpecialistFactory(
        user=UserFactory(first_name="Grace", last_name="Hopper", role=User.Role.SPECIALIST)
    )
    monday = _next_monday()
    tuesday_ten = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(10), tzinfo=NY)
    booking = _booked(doctor, tuesday_ten, "Maya", "Numbness in the left hand")
    sign_in(page, doctor.user)

    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hours").click()
    expect(page.get_by_role("heading", name="Weekly hours", level=1)).to_be_visible()
    _check(page, axe_check, screenshot, "specialist-hours-empty")

    # Monday mornings, the end before the start first: the error is beside the field.
    page.get_by_label("Day").select_option(label="Monday")
    page.get_by_label("From").fill("09:00")
    page.get_by_label("Until").fill("08:00")
    page.get_by_label("Visit type").select_option(label="New patient consultation")
    page.get_by_role("button", name="Add these hours").click()
    expect(page.get_by_label("Until")).to_have_accessible_description(
        re.compile("start must be before the end")
    )
    _check(page, axe_check, screenshot, "specialist-hours-error")

    page.get_by_label("Until").fill("12:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ slots added over the next 60 days"))
    expect(page.get_by_role("cell", name="Monday", exact=True)).to_be_visible()
    _check(page, axe_check, screenshot, "specialist-hours")

    # A change of mind: the mornings end at 12:00 after all, said twice to see the edit page.
    page.get_by_role("link", name="Edit Monday 9:00 AM").click()
    expect(page.get_by_label("Until")).to_have_value(re.compile("^12:00"))
    _check(page, axe_check, screenshot, "specialist-hours-edit")
    page.get_by_label("Until").fill("11:00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ slots removed over the next 60 days"))
    page.get_by_role("link", name="Edit Monday 9:00 AM").click()
    page.get_by_label("Until").fill("12:00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ slots added over the next 60 days"))

    # Next week's Monday shows three open morning slots, and Tuesday the booked visit.
    page.get_by_role("link", name="See your week").click()
    page.get_by_role("link", name="Next week").click()
    day = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=re.compile(r"^Monday")))
    expect(day.get_by_text("Open")).to_have_count(3)
    expect(day).to_contain_text("9:00 AM EST")
    tuesday = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Tuesday"))
    )
    expect(tuesday).to_contain_text("Booked")
    _check(page, axe_check, screenshot, "specialist-week")

    # Time off over Tuesday: the page lists Maya's visit and saves nothing yet.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Time off").click()
    _check(page, axe_check, screenshot, "specialist-time-off-empty")
    page.get_by_label("From").fill(f"{tuesday_ten.date()}T08:00")
    page.get_by_label("Until").fill(f"{tuesday_ten.date()}T17:00")
    page.get_by_label("Note for yourself").fill("Conference")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_role("heading", name="Visits in this time off")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Maya")
    assert not TimeOff.objects.exists()
    _check(page, axe_check, screenshot, "specialist-time-off-conflict")

    page.get_by_role("button", name="Cancel the visit and take the time off").click()
    expect(page.get_by_role("status")).to_contain_text("the patients told")
    expect(page.get_by_role("main")).to_contain_text("Conference")
    _check(page, axe_check, screenshot, "specialist-time-off")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert TimeOff.objects.get().start == dt.datetime.combine(tuesday_ten.date(), dt.time(8), tzinfo=NY)


def test_on_a_phone_a_specialist_marks_a_visit_that_has_started(phone_page, sign_in, axe_check, screenshot):
    page = phone_page
    doctor = SpecialistFactory(
        user=UserFactory(first_name="Grace", last_name="Hopper", role=User.Role.SPECIALIST)
    )
    now = timezone.now().replace(second=0, microsecond=0)
    started = _booked(doctor, now - dt.timedelta(minutes=20), "Maya", "Numbness in the left hand")
    omar = _booked(doctor, now + dt.timedelta(hours=26), "Omar", "Headaches every morning")
    Booking.objects.filter(pk=omar.pk).update(attendance_confirmed_at=now)  # he replied 1
    consult = VisitType.objects.get(slug="consult")
    SlotFactory(specialist=doctor, visit_type=consult, start=now + dt.timedelta(hours=50))
    RuleFactory(
        specialist=doctor, visit_type=consult, weekday=2, start_time=dt.time(13), end_time=dt.time(17)
    )
    TimeOff.objects.create(
        specialist=doctor,
        start=now + dt.timedelta(days=20),
        end=now + dt.timedelta(days=22),
        reason="Holiday",
    )
    sign_in(page, doctor.user)

    page.goto("/week/")
    expect(page.get_by_role("main")).to_contain_text("Headaches every morning")
    expect(page.get_by_role("main")).to_contain_text("Said they will attend")
    _check(page, axe_check, screenshot, "specialist-week")
    page.get_by_role("button", name="Mark Maya's visit completed").click()
    expect(page.get_by_role("status")).to_contain_text("Maya's visit is marked completed")
    started.refresh_from_db()
    assert started.status == Booking.Status.COMPLETED

    for path, name in (
        ("/hours/", "specialist-hours"),
        ("/time-off/", "specialist-time-off"),
        ("/alerts/", "specialist-alerts"),
    ):
        page.goto(path)
        _check(page, axe_check, screenshot, name)
