"""The language of the pages: a signed-in patient's profile language, else the visitor's cookie
or Accept-Language; the switch in the footer; dates in the page's language (web/language.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import Patient
from tests.factories import BookingFactory, PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db

SPANISH_DAYS = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"]
SPANISH_MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]


def signed_in(patient: Patient, **headers: str) -> Client:
    client = Client(headers=headers)
    client.force_login(patient.user)
    return client


def test_a_spanish_speaking_patient_sees_the_pages_in_spanish(patient):
    patient.language = "es"
    patient.save()
    html = signed_in(patient).get("/").content.decode()

    assert '<html lang="es">' in html
    assert "Mis consultas" in html and "Buscar consulta" in html and "Cerrar sesión" in html
    assert "My visits" not in html


def test_the_patients_profile_language_wins_over_the_browsers(patient):
    patient.language = "es"
    patient.save()
    response = signed_in(patient, accept_language="en-US,en;q=0.9").get("/visits/")

    assert response.headers["Content-Language"] == "es"
    assert "Próximas" in response.content.decode()


def test_an_english_speaking_patient_keeps_english_whatever_the_browser_says(patient):
    response = signed_in(patient, accept_language="es").get("/visits/")
    assert response.headers["Content-Language"] == "en"
    assert "Upcoming" in response.content.decode()


def test_a_visit_shows_its_day_and_month_in_spanish(patient):
    patient.language = "es"
    patient.timezone = ZoneInfo("America/Chicago")
    patient.save()
    start = (timezone.now() + dt.timedelta(days=4)).replace(hour=18, minute=30, second=0, microsecond=0)
    booking = BookingFactory(patient=patient, slot__start=start)
    local = start.astimezone(ZoneInfo("America/Chicago"))

    html = signed_in(patient).get(f"/visits/{booking.pk}/").content.decode()

    assert f"{SPANISH_DAYS[local.weekday()]} {local.day} {SPANISH_MONTHS[local.month - 1]}" in html
    assert f"{local.hour}:30" in html  # the 24-hour clock of Spanish pages


def test_the_shipped_specialties_and_visit_types_are_named_in_the_pages_language(patient):
    patient.language = "es"
    patient.save()
    booking = BookingFactory(patient=patient, slot__start=timezone.now() + dt.timedelta(days=2))
    client = signed_in(patient)

    find = client.get("/find/").content.decode()
    visit = client.get(f"/visits/{booking.pk}/").content.decode()

    assert "Cefalea y migraña" in find and "Headache and migraine" not in find
    assert "Primera consulta" in visit and "New patient consultation" not in visit


def test_a_name_the_clinic_typed_itself_stays_as_typed(patient):
    patient.language = "es"
    patient.save()
    booking = BookingFactory(
        patient=patient,
        slot__start=timezone.now() + dt.timedelta(days=2),
        slot__visit_type__slug="botox",
        slot__visit_type__name="Botox for migraine",
    )
    assert "Botox for migraine" in signed_in(patient).get(f"/visits/{booking.pk}/").content.decode()


def test_a_refused_booking_says_why_in_spanish(patient):
    patient.language = "es"
    patient.save()
    soon = SlotFactory(start=timezone.now() + dt.timedelta(minutes=30))

    response = signed_in(patient).post(f"/book/{soon.pk}/", {"reason": "Migraña", "key": str(uuid.uuid4())})

    assert response.status_code == 400
    assert (
        "Las consultas se deben reservar con al menos 120 minutos de antelación." in response.content.decode()
    )


def test_the_api_still_refuses_in_english_with_the_same_code(patient_client):
    soon = SlotFactory(start=timezone.now() + dt.timedelta(minutes=30))
    response = patient_client.post("/api/v1/bookings/", {"slot": soon.pk, "reason": "x"}, format="json")
    assert response.json()["code"] == "too_soon"
    assert response.json()["detail"] == "Visits must be booked at least 120 minutes ahead."


def test_an_anonymous_visitor_asking_for_spanish_gets_spanish(client):
    response = client.get("/", headers={"accept-language": "es-MX,es;q=0.9,en;q=0.5"})
    html = response.content.decode()

    assert response.headers["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Consulte a un neurólogo desde casa" in html and "Registrarse" in html


def test_an_anonymous_visitor_without_a_preference_gets_english(client):
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "See a neurologist from home" in html


def test_the_switch_sets_a_visitors_language_and_returns_to_the_page(client):
    response = client.post("/language/", {"language": "es", "next": "/find/"})

    assert response.status_code == 302 and response.headers["Location"] == "/find/"
    assert "Buscar las primeras consultas" in client.get("/find/").content.decode()


def test_the_switch_saves_a_patients_profile_language(patient):
    client = signed_in(patient)
    client.post("/language/", {"language": "es", "next": "/visits/"})

    patient.refresh_from_db()
    assert patient.language == "es"
    assert "Mis consultas" in client.get("/visits/").content.decode()


def test_the_switch_refuses_a_language_the_clinic_does_not_speak(patient):
    client = signed_in(patient)
    client.post("/language/", {"language": "fr", "next": "/"})

    patient.refresh_from_db()
    assert patient.language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_the_switch_never_sends_a_visitor_to_another_site(client):
    response = client.post("/language/", {"language": "es", "next": "https://evil.example/"})
    assert not response.headers["Location"].startswith("https://evil.example")


def test_the_profile_page_changes_the_language(patient):
    client = signed_in(patient)
    form = client.get("/profile/").context["form"]
    client.post("/profile/", {**form.initial, "language": "es", "email_opt_in": "on"})

    patient.refresh_from_db()
    assert patient.language == "es"
    assert "Su perfil se ha guardado." in client.get("/profile/").content.decode()


def test_signing_up_in_spanish_makes_a_spanish_speaking_patient(client):
    response = client.post(
        "/signup/",
        {
            "first_name": "Lucía",
            "last_name": "Núñez",
            "email": "lucia@example.com",
            "password": "a-long-enough-passphrase",
            "phone": "+12125550142",
            "state": "NY",
            "timezone": "America/New_York",
        },
        headers={"accept-language": "es"},
    )

    assert response.status_code == 302
    assert Patient.objects.get(user__email="lucia@example.com").language == "es"


def test_every_page_offers_the_switch_in_each_language(client):
    html = client.get("/").content.decode()
    assert 'action="/language/"' in html
    assert '<option value="es" lang="es">Español</option>' in html
    assert '<option value="en" lang="en" selected>English</option>' in html


def test_the_switch_names_each_language_in_that_language_on_a_spanish_page(client):
    html = client.get("/", headers={"accept-language": "es"}).content.decode()
    assert '<option value="en" lang="en">English</option>' in html
    assert '<option value="es" lang="es" selected>Español</option>' in html


def test_a_new_patient_factory_speaks_english():
    # The tests above rely on it: a patient who never chose speaks the clinic's default.
    assert PatientFactory().language == "en"
