"""The admin's "book a visit for a patient" page in Chromium: it works under the CSP (the id
boxes' lookup scripts are the admin's static files); staff choose a specialist, then one of
their next free slots (no slot id to type), and a slot taken meanwhile is refused beside the
list, which shows the next free slots again."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import User
from scheduling.models import Booking, Slot
from tests.factories import BookingFactory, PatientFactory, SlotFactory, SpecialistFactory


def test_an_admin_books_from_the_specialists_free_slots_and_sees_a_refusal(
    transactional_db, page, sign_in, screenshot
):
    admin = User.objects.create_superuser(email="desk@clinic.example", password="x" * 12)
    patient = PatientFactory(user__first_name="Ada", user__last_name="Byron")
    doctor = SpecialistFactory(user__first_name="Oliver", user__last_name="Sacks")
    soon = (timezone.now() + dt.timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    taken = SlotFactory(specialist=doctor, start=soon)
    free = SlotFactory(specialist=doctor, start=soon + dt.timedelta(days=1))
    sign_in(page, admin)
    page.goto("/admin/scheduling/booking/")
    page.get_by_role("link", name="Book a visit for a patient").click()
    page.get_by_label("Specialist").select_option(label=str(doctor))
    with page.expect_navigation():
        page.get_by_role("button", name="Show free slots").click()
    slots = page.get_by_role("radio")
    expect(slots).to_have_count(2)
    screenshot(page, "staff-book")

    page.get_by_role("textbox", name="Patient").fill(str(patient.pk))
    slots.first.check()
    BookingFactory(slot=taken)  # another booking takes it while the page is open
    Slot.objects.filter(pk=taken.pk).update(status=Slot.Status.BOOKED)
    with page.expect_navigation():
        page.get_by_role("button", name="Book a visit for a patient").click()
    expect(page.get_by_text("This slot is no longer available").first).to_be_visible()
    expect(slots).to_have_count(1)  # the next free slots, listed again
    screenshot(page, "staff-book-taken")

    slots.first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Book a visit for a patient").click()
    expect(page.get_by_text("Booked; the patient is told")).to_be_visible()
    assert Booking.objects.get(patient=patient).slot_id == free.pk
