"""The Django admin as operators see it: the clinic's name on every page, and bookings that
name their patient."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from clinic.models import User
from tests.factories import BookingFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@clinic.example", password="x" * 12))
    return client


@pytest.mark.parametrize("url", ["/admin/", "/admin/scheduling/booking/"])
def test_admin_pages_carry_the_clinics_name(operator, url):
    html = operator.get(url).content.decode()

    assert "Django administration" not in html
    assert "Django site admin" not in html
    assert f'<a href="/admin/">{settings.CLINIC_NAME}</a>' in html  # the header
    assert f"| {settings.CLINIC_NAME}</title>" in html


def test_the_admin_login_page_carries_the_clinics_name():
    html = Client().get("/admin/login/").content.decode()

    assert "Django administration" not in html
    assert settings.CLINIC_NAME in html


def test_the_admin_index_is_titled_for_the_clinic(operator):
    html = operator.get("/admin/").content.decode()

    assert f"<h1>{settings.CLINIC_NAME} administration</h1>" in html


def test_a_patient_reads_as_their_name():
    patient = PatientFactory(user__first_name="Maria", user__last_name="Gomez")

    assert str(patient) == "Maria Gomez"


def test_a_patient_without_a_name_reads_as_their_email():
    patient = PatientFactory(user__first_name="", user__last_name="", user__email="m.g@example.org")

    assert str(patient) == "m.g@example.org"


def test_the_bookings_list_names_the_patient(operator):
    booking = BookingFactory(patient__user__first_name="Maria", patient__user__last_name="Gomez")

    html = operator.get("/admin/scheduling/booking/").content.decode()

    assert '<td class="field-patient nowrap">Maria Gomez</td>' in html
    assert f"patient {booking.patient_id}" not in html
