"""The read side of people and the catalogue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from clinic.models import Specialist, StateLicense


def licenses_valid_on(day: dt.date) -> QuerySet[StateLicense]:
    return StateLicense.objects.filter(expires_on__gte=day)


def specialist_list(
    *,
    specialty: str | None = None,
    state: str | None = None,
    accepting_new_patients: bool | None = None,
    include_inactive: bool = False,
) -> QuerySet[Specialist]:
    today = timezone.localdate()
    qs = Specialist.objects.select_related("user").prefetch_related(
        "specialties",
        "visit_types",
        "licenses",  # ordered by state, the model's ordering
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if specialty:
        qs = qs.filter(specialties__slug=specialty)
    if state:
        qs = qs.filter(
            Exists(licenses_valid_on(today).filter(specialist=OuterRef("pk"), state=state.upper()))
        )
    if accepting_new_patients is not None:
        qs = qs.filter(accepting_new_patients=accepting_new_patients)
    return qs
