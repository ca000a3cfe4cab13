"""The read side of scheduling: slot search, next available, bookings scoped to the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from clinic.models import Specialist, StateLicense, User
from clinic.permissions import is_admin
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff


def _offered(**match: Any) -> QuerySet[Any]:
    """The visit types a specialist offers and takes bookings for: a new-patient visit only while
    they accept new patients (their own patients book follow-ups, which stay listed)."""
    return Specialist.visit_types.through.objects.filter(
        Q(visittype__new_patient=False) | Q(specialist__accepting_new_patients=True), **match
    )


def slots_bookable(
    *,
    now: dt.datetime | None = None,
    specialist: int | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
    start_after: dt.datetime | None = None,
    start_before: dt.datetime | None = None,
) -> QuerySet[Slot]:
    """Open slots a patient could book now: past the minimum notice, inside the horizon, of an
    active specialist who offers the visit type (a new-patient visit only while they accept new
    patients) and, given a state, is licensed there on the visit date; ordered by start."""
    now = now or timezone.now()
    earliest = now + dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES)
    latest = now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if start_after is not None:
        earliest = max(earliest, start_after)
    if start_before is not None:
        latest = min(latest, start_before)
    specialists = Specialist.objects.filter(is_active=True)
    if specialty:
        specialists = specialists.filter(specialties__slug=specialty)
    if specialist is not None:
        specialists = specialists.filter(pk=specialist)
    qs = Slot.objects.filter(
        status=Slot.Status.OPEN,
        start__gte=earliest,
        start__lt=latest,
        specialist__in=specialists.values("pk"),
    ).filter(
        Exists(_offered(specialist_id=OuterRef("specialist_id"), visittype_id=OuterRef("visit_type_id")))
    )
    if visit_type is not None:
        qs = qs.filter(visit_type_id=visit_type)
    if state:
        qs = qs.alias(start_date=TruncDate("start")).filter(
            Exists(
                StateLicense.objects.filter(
                    specialist=OuterRef("specialist_id"),
                    state=state,
                    expires_on__gte=OuterRef("start_date"),
                )
            )
        )
    return qs.order_by("start", "id")


def slots_next_available(
    *,
    now: dt.datetime | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
) -> QuerySet[Slot]:
    """The earliest bookable slot of each matching specialist, soonest first.

    One correlated subquery per specialist, each an index range scan on
    (specialist, start) WHERE status = 'open' that stops at its first match. Specialists who
    cannot have a match (no licence in the state valid on the earliest bookable date, or not
    offering the visit type) are dropped before their subquery runs: otherwise each of them
    would scan every open slot of the horizon to find nothing. A specialist without a match
    yields NULL, which `pk IN (...)` never matches, so no IS NOT NULL filter (which would run
    every subquery a second time) is needed.
    """
    now = now or timezone.now()
    bookable = slots_bookable(now=now, state=state, visit_type=visit_type)
    first = bookable.filter(specialist_id=OuterRef("pk")).values("pk")[:1]
    specialists = Specialist.objects.filter(is_active=True)
    if specialty:
        specialists = specialists.filter(specialties__slug=specialty)
    if state:
        # The date the way slots_bookable truncates a start (TruncDate: the current time zone).
        earliest = timezone.localtime(now + dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES)).date()
        specialists = specialists.filter(
            Exists(
                StateLicense.objects.filter(specialist=OuterRef("pk"), state=state, expires_on__gte=earliest)
            )
        )
    if visit_type is not None:
        specialists = specialists.filter(
            Exists(_offered(specialist_id=OuterRef("pk"), visittype_id=visit_type))
        )
    firsts = specialists.annotate(first=Subquery(first)).values("first")
    return Slot.objects.filter(pk__in=firsts).order_by("start", "id")


def booking_list(*, user: User) -> QuerySet[Booking]:
    """The bookings the caller may see: a patient's own, a specialist's, or all for admins."""
    qs = Booking.objects.select_related("slot", "slot__specialist", "video")
    if is_admin(user):
        return qs
    if user.role == User.Role.PATIENT:
        return qs.filter(patient_id=user.pk)
    if user.role == User.Role.SPECIALIST:
        return qs.filter(slot__specialist__user=user)
    return qs.none()


def rule_list(*, user: User) -> QuerySet[AvailabilityRule]:
    qs = AvailabilityRule.objects.select_related("specialist")
    return qs if is_admin(user) else qs.filter(specialist__user=user)


def time_off_list(*, user: User) -> QuerySet[TimeOff]:
    qs = TimeOff.objects.all()
    return qs if is_admin(user) else qs.filter(specialist__user=user)


def slot_list_managed(*, user: User) -> QuerySet[Slot]:
    """Slots the caller may change: their own, or any for admins."""
    qs = Slot.objects.select_related("specialist")
    return qs if is_admin(user) else qs.filter(specialist__user=user)
