"""The admin's "book a visit for a patient" page in Chromium: it works under the CSP (the id
boxes' lookup scripts are the admin's static files), and a refusal shows beside its field."""

from __future__ import annotations

from clinic.models import User
from tests.factories import BookingFactory, PatientFactory


def test_an_admin_books_for_a_patient_and_sees_a_refusal(transactional_db, page, sign_in, screenshot):
    admin = User.objects.create_superuser(email="desk@clinic.example", password="x" * 12)
    patient = PatientFactory()
    taken = BookingFactory().slot
    sign_in(page, admin)
    page.goto("/admin/scheduling/booking/")
    page.get_by_role("link", name="Book a visit for a patient").click()
    page.get_by_label("Patient").fill(str(patient.pk))
    page.get_by_label("Slot").fill(str(taken.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Book a visit for a patient").click()
    screenshot(page, "staff-book")
    assert page.get_by_text("This slot is no longer available").first.is_visible()
