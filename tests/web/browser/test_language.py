"""The pages in Spanish: a Spanish-speaking patient's visits on a phone, and the footer's
language switch for a visitor."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.factories import BookingFactory, PatientFactory, SpecialistFactory


def test_a_spanish_speaking_patient_reads_their_visits_in_spanish_on_a_phone(
    phone_page, sign_in, axe_check, screenshot
):
    patient = PatientFactory(language="es", user__first_name="Lucía")
    doctor = SpecialistFactory(user__first_name="Oliver", user__last_name="Sacks")
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    BookingFactory(patient=patient, slot__specialist=doctor, slot__start=start)
    sign_in(phone_page, patient.user)

    phone_page.goto("/visits/")

    assert phone_page.locator("html").get_attribute("lang") == "es"
    assert phone_page.get_by_role("heading", name="Próximas").is_visible()
    assert (
        phone_page.get_by_role("navigation", name="Principal")
        .get_by_role("link", name="Mis consultas")
        .is_visible()
    )
    axe_check(phone_page)
    screenshot(phone_page, "visits-es")


def test_a_visitor_switches_the_pages_to_spanish(page, axe_check):
    page.goto("/find/")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()

    page.wait_for_url("**/find/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("button", name="Buscar las primeras consultas").is_visible()
    assert page.get_by_label("Idioma").input_value() == "es"
    axe_check(page)
