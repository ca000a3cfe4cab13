"""`manage.py seed_demo`: a demo clinic on any database, and a second run changes nothing."""

import io

import pytest
from django.core.management import call_command

from clinic.models import Patient, Specialist, StateLicense, User
from scheduling.models import AvailabilityRule, Booking, Slot
from scheduling.selectors import slots_next_available

pytestmark = pytest.mark.django_db

MODELS = [User, Patient, Specialist, StateLicense, AvailabilityRule, Slot, Booking]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_makes_a_bookable_clinic_and_prints_logins():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "admin@clinic.example" in out.getvalue()
    assert Specialist.objects.count() == 5
    assert Booking.objects.filter(status="confirmed").exists()
    assert slots_next_available(specialty="chronic-pain", state="NY").first() is not None
    assert User.objects.get(email="admin@clinic.example").is_staff


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    before = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before
