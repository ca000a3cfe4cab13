"""Fixtures the scheduling tests share: weekly rules made through the service, booked slots."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import Slot
from scheduling.services import rules
from tests.factories import BookingFactory


@pytest.fixture
def add_rule(specialist):
    """Add a rule for `specialist` through the service, so its slots exist: by default today's
    weekday, 09:00-12:00, hour-long consults."""

    def add(**kwargs):
        consult = specialist.visit_types.get(slug="consult")
        defaults = {
            "weekday": timezone.now().weekday(),
            "start_time": dt.time(9),
            "end_time": dt.time(12),
            "visit_type": consult,
        }
        return rules.rule_create(specialist=specialist, **{**defaults, **kwargs})

    return add


@pytest.fixture
def book_slot():
    """Book an existing slot (as the claim leaves it) for a patient licensed where it is."""

    def book(slot):
        Slot.objects.filter(pk=slot.pk).update(status=Slot.Status.BOOKED)
        return BookingFactory(slot=slot, patient__state="NY")

    return book
