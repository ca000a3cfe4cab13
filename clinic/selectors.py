"""The read side of people and the catalogue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from clinic.models import Caregiver, Patient, Specialist, StateLicense
from core.filters import filtered
from core.signed_links import token_hash


def licenses_valid_on(day: dt.date) -> QuerySet[StateLicense]:
    return StateLicense.objects.filter(expires_on__gte=day)


def specialist_list(
    *,
    specialty: str | None = None,
    state: str | None = None,
    accepting_new_patients: bool | None = None,
    include_inactive: bool = False,
) -> QuerySet[Specialist]:
    qs = filtered(
        Specialist.objects.select_related("user").prefetch_related(
            "specialties",
            "visit_types",
            "licenses",  # ordered by state, the model's ordering
        ),
        specialties__slug=specialty,
        accepting_new_patients=accepting_new_patients,
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if state:
        licensed = licenses_valid_on(timezone.localdate()).filter(
            specialist=OuterRef("pk"), state=state.upper()
        )
        qs = qs.filter(Exists(licensed))
    return qs


def caregiver_list(*, patient: Patient) -> QuerySet[Caregiver]:
    """The patient's caregivers, oldest first."""
    return Caregiver.objects.filter(patient=patient).order_by("created_at", "id")


def caregiver_by_token(token: str) -> Caregiver | None:
    """The caregiver whose consent link this is (with their patient's name, which its page
    shows), or None."""
    return (
        Caregiver.objects.select_related("patient__user")
        .filter(consent_token_sha256=token_hash(token))
        .first()
    )
