"""The world the API-wide contract tests run in (tests/api/contract.py holds their helpers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling.models import Slot, TimeOff
from tests.api.contract import ENDPOINTS, new_client, send
from tests.factories import (
    PASSWORD,
    AdminFactory,
    BookingFactory,
    CaregiverFactory,
    FollowUpFactory,
    PatientFactory,
    RuleFactory,
    SlotFactory,
    SpecialistFactory,
    VisitTypeFactory,
    WaitlistEntryFactory,
)


class World:
    """A patient with a booking, their specialist with a rule, time off and an open slot, an
    admin, and a second patient and specialist to be the "others"."""

    def __init__(self) -> None:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.consult = VisitTypeFactory()
        self.follow_up = FollowUpFactory()
        self.admin = AdminFactory()
        self.patient = PatientFactory()
        self.other_patient = PatientFactory()
        self.specialist = SpecialistFactory()
        self.other_specialist = SpecialistFactory()
        self.rule = RuleFactory(specialist=self.specialist, visit_type=self.consult)
        self.other_rule = RuleFactory(specialist=self.other_specialist, visit_type=self.consult)
        self.time_off = TimeOff.objects.create(
            specialist=self.specialist,
            start=now + dt.timedelta(days=20),
            end=now + dt.timedelta(days=20, hours=2),
        )
        self.other_time_off = TimeOff.objects.create(
            specialist=self.other_specialist,
            start=now + dt.timedelta(days=20),
            end=now + dt.timedelta(days=20, hours=2),
        )
        self.slot = SlotFactory(
            specialist=self.specialist, visit_type=self.consult, start=now + dt.timedelta(days=3)
        )
        self.other_slot = SlotFactory(
            specialist=self.other_specialist, visit_type=self.consult, start=now + dt.timedelta(days=3)
        )
        self.booking = BookingFactory(
            patient=self.patient,
            slot=SlotFactory(
                specialist=self.specialist,
                visit_type=self.consult,
                start=now + dt.timedelta(days=5),
                status=Slot.Status.BOOKED,
            ),
        )
        self.other_booking = BookingFactory(
            patient=self.other_patient,
            slot=SlotFactory(
                specialist=self.other_specialist,
                visit_type=self.consult,
                start=now + dt.timedelta(days=5),
                status=Slot.Status.BOOKED,
            ),
        )
        self.caregiver = CaregiverFactory(patient=self.patient)
        self.other_caregiver = CaregiverFactory(patient=self.other_patient)
        self.later = now + dt.timedelta(days=30)
        self.entry = WaitlistEntryFactory(patient=self.patient)

        # Clients (and their tokens) exist before any test takes its snapshot of the database.
        self.clients = {
            "anon": new_client(),
            "patient": new_client(self.patient.user),
            "specialist": new_client(self.specialist.user),
            "admin": new_client(self.admin),
        }

    def client(self, role: str) -> APIClient:
        return self.clients[role]

    def url(self, endpoint: str, pk: Any = None) -> str:
        path = ENDPOINTS[endpoint][1]
        ids = {
            "specialist": self.specialist.pk,
            "rule": self.rule.pk,
            "time_off": self.time_off.pk,
            "slot": self.slot.pk,
            "booking": self.booking.pk,
            "caregiver": self.caregiver.pk,
            "entry": self.entry.pk,
        }
        if pk is not None:
            ids = dict.fromkeys(ids, pk)
        return "/api/v1/" + path.format(**ids)

    def call(self, endpoint: str, body: Any = None, *, role: str | None = None, pk: Any = None) -> Any:
        """Send `body` to `endpoint` as the role allowed to call it (or `role`), on its own
        object (or on `pk`)."""
        method, _, default_role = ENDPOINTS[endpoint]
        return send(self.client(role or default_role), method, self.url(endpoint, pk), body)

    def valid_body(self, endpoint: str) -> dict[str, Any]:
        """A body the endpoint accepts; each bad case spoils one value of it."""
        return {
            "register": {
                "email": "jordan.lee@example.com",
                "password": "a-long-enough-passphrase",
                "first_name": "Jordan",
                "last_name": "Lee",
                "phone": "+12125550101",
                "state": "NY",
                "timezone": "America/New_York",
                "sms_opt_in": True,
                "email_opt_in": True,
            },
            "token": {"email": self.patient.user.email, "password": PASSWORD},
            "me": {"first_name": "Sam"},
            "specialist_create": {
                "email": "new.doc@clinic.example",
                "password": "another-long-passphrase",
                "first_name": "Nia",
                "last_name": "Stone",
                "credentials": "MD",
                "bio": "Headache medicine.",
                "timezone": "America/Chicago",
                "specialties": ["headache-migraine"],
                "licenses": [{"state": "TX", "number": "TX-1", "expires_on": "2030-01-01"}],
                "accepting_new_patients": True,
                "visit_types": [self.consult.pk],
            },
            "specialist_update": {"bio": "Movement disorders."},
            "visit_type_create": {
                "slug": "headache-follow-up",
                "name": "Headache follow-up",
                "duration_minutes": 20,
                "new_patient": False,
            },
            "rule_create": {
                "weekday": 2,
                "start_time": "13:00",
                "end_time": "15:00",
                "visit_type": self.consult.pk,
            },
            "rule_update": {"end_time": "11:00"},
            "time_off_create": {
                "start": self.later.isoformat(),
                "end": (self.later + dt.timedelta(hours=3)).isoformat(),
                "reason": "Conference",
            },
            "slot_create": {
                "visit_type": self.consult.pk,
                "start": (self.later + dt.timedelta(days=1)).isoformat(),
            },
            "booking_create": {"slot": self.slot.pk, "reason": "Headaches"},
            "cancel": {"reason": "Feeling better"},
            "reschedule": {"slot": self.slot.pk},
            "caregiver_create": {
                "name": "Robin Carer",
                "relationship": "daughter",
                "phone": "+13125550177",
                "email": "robin@example.com",
            },
            "waitlist_join": {"specialty": "epilepsy"},
        }[endpoint]


@pytest.fixture
def world() -> World:
    return World()
