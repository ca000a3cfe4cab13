"""`manage.py seed_demo`: a small, realistic clinic to try the API with.

Safe on any database and idempotent: what exists is left alone, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clinic import services as clinic_services
from clinic.models import Patient, Specialist, Specialty, User, VisitType
from scheduling import selectors
from scheduling.models import AvailabilityRule, Booking
from scheduling.services import bookings, rules

PASSWORD = "neuro-demo-2026"
ADMIN_EMAIL = "admin@clinic.example"

VISIT_TYPES = [
    ("new-patient-consult", "New patient consultation", 60, True),
    ("follow-up", "Follow-up visit", 30, False),
]

# email, first, last, credentials, timezone, specialties, licensed states, weekly hours, accepting
SPECIALISTS: list[tuple[Any, ...]] = [
    (
        "ada.okafor@clinic.example",
        "Ada",
        "Okafor",
        "MD",
        "America/New_York",
        ["chronic-pain", "headache-migraine"],
        ["NY", "NJ", "CT"],
        (9, 17),
        True,
    ),
    (
        "luis.ferreira@clinic.example",
        "Luis",
        "Ferreira",
        "MD",
        "America/Chicago",
        ["epilepsy", "general-neurology"],
        ["IL", "TX", "NY"],
        (8, 14),
        True,
    ),
    (
        "mei.tanaka@clinic.example",
        "Mei",
        "Tanaka",
        "DO",
        "America/Los_Angeles",
        ["sleep", "headache-migraine"],
        ["CA", "WA", "OR"],
        (10, 18),
        True,
    ),
    (
        "samuel.reyes@clinic.example",
        "Samuel",
        "Reyes",
        "MD",
        "America/Denver",
        ["movement-disorders", "neuromuscular"],
        ["CO", "TX", "CA"],
        (9, 15),
        True,
    ),
    (
        "hannah.berg@clinic.example",
        "Hannah",
        "Berg",
        "MD",
        "America/New_York",
        ["multiple-sclerosis", "chronic-pain"],
        ["NY", "MA", "FL"],
        (12, 18),
        False,
    ),
]

PATIENTS = [
    ("jordan.lee@example.com", "Jordan", "Lee", "+12125550101", "NY", "America/New_York"),
    ("priya.shah@example.com", "Priya", "Shah", "+14155550102", "CA", "America/Los_Angeles"),
    ("marcus.hill@example.com", "Marcus", "Hill", "+15125550103", "TX", "America/Chicago"),
    # Twilio's test number for "invalid 'To' number" (error 21211), which the console SMS
    # backend refuses as Twilio does: the demo queue has a failed message to look at and retry.
    ("riley.park@example.com", "Riley", "Park", "+15005550001", "NY", "America/New_York"),
]


class Command(BaseCommand):
    help = "Add a demo clinic (visit types, specialists, weekly rules, patients, bookings). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            self._admin()
            visit_types = self._visit_types()
            specialists = [self._specialist(row, visit_types) for row in SPECIALISTS]
            patients = [self._patient(row) for row in PATIENTS]
        for specialist in specialists:
            rules.slots_extend(specialist=specialist)
        self._bookings(patients)
        self._print_logins()

    def _admin(self) -> None:
        if not User.objects.filter(email=ADMIN_EMAIL).exists():
            User.objects.create_superuser(
                email=ADMIN_EMAIL, password=PASSWORD, first_name="Clinic", last_name="Admin"
            )

    def _visit_types(self) -> list[VisitType]:
        return [
            VisitType.objects.get_or_create(
                slug=slug, defaults={"name": name, "duration_minutes": minutes, "new_patient": new}
            )[0]
            for slug, name, minutes, new in VISIT_TYPES
        ]

    def _specialist(self, row: tuple[Any, ...], visit_types: list[VisitType]) -> Specialist:
        email, first, last, credentials, tz, specialties, states, hours, accepting = row
        existing = Specialist.objects.filter(user__email=email).first()
        if existing:
            return existing
        expires = timezone.localdate() + dt.timedelta(days=730)
        specialist = clinic_services.specialist_onboard(
            email=email,
            password=PASSWORD,
            first_name=first,
            last_name=last,
            credentials=credentials,
            bio=f"Board-certified neurologist ({credentials}).",
            timezone=ZoneInfo(tz),
            specialties=Specialty.objects.filter(slug__in=specialties),
            licenses=[
                clinic_services.LicenseInput(
                    state=s, number=f"{s}-{abs(hash(email)) % 10**6:06d}", expires_on=expires
                )
                for s in states
            ],
            accepting_new_patients=accepting,
            visit_types=visit_types,
        )
        start, end = hours
        consult, follow_up = visit_types
        for weekday in range(5):
            if not AvailabilityRule.objects.filter(specialist=specialist, weekday=weekday).exists():
                # Mornings for consultations, afternoons for follow-ups.
                middle = start + (end - start) // 2
                rules.rule_create(
                    specialist=specialist,
                    weekday=weekday,
                    start_time=dt.time(start),
                    end_time=dt.time(middle),
                    visit_type=consult,
                )
                rules.rule_create(
                    specialist=specialist,
                    weekday=weekday,
                    start_time=dt.time(middle),
                    end_time=dt.time(end),
                    visit_type=follow_up,
                )
        return specialist

    def _patient(self, row: tuple[str, ...]) -> Patient:
        email, first, last, phone, state, tz = row
        existing = Patient.objects.filter(user__email=email).first()
        if existing:
            return existing
        user, _ = clinic_services.patient_register(
            email=email,
            password=PASSWORD,
            first_name=first,
            last_name=last,
            phone=phone,
            state=state,
            timezone=ZoneInfo(tz),
            sms_opt_in=True,
            email_opt_in=True,
        )
        return user.patient

    def _bookings(self, patients: list[Patient]) -> None:
        consult = VisitType.objects.get(slug="new-patient-consult")
        for patient in patients:
            if Booking.objects.filter(patient=patient).exists():
                continue
            found = selectors.slots_bookable(
                state=patient.state,
                visit_type=consult.pk,
                start_after=timezone.now() + dt.timedelta(days=3),
            ).first()
            if found is not None:
                bookings.booking_create(user=patient.user, slot_id=found.id, reason="Recurring headaches")

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready. Logins (password for all: {PASSWORD}):"))
        self.stdout.write(f"  admin       {ADMIN_EMAIL}")
        for row in SPECIALISTS:
            self.stdout.write(f"  specialist  {row[0]}")
        for row in PATIENTS:
            self.stdout.write(f"  patient     {row[0]}")
