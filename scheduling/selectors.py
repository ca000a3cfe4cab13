"""The read side of scheduling: slot search, next available (typed records, `scheduling.sql`),
bookings and waitlist entries scoped to the caller, offers for admins."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from clinic.models import User
from core.filters import filtered
from core.permissions import is_admin
from scheduling import sql
from scheduling.models import AvailabilityRule, Booking, Offer, Slot, TimeOff, WaitlistEntry
from scheduling.sql import BookableSlots


def _window(
    now: dt.datetime | None, start_after: dt.datetime | None = None, start_before: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """[earliest, latest): past the minimum notice, inside the horizon, inside the search."""
    now = now or timezone.now()
    earliest = now + dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES)
    latest = now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if start_after is not None:
        earliest = max(earliest, start_after)
    if start_before is not None:
        latest = min(latest, start_before)
    return earliest, latest


def slots_bookable(
    *,
    now: dt.datetime | None = None,
    specialist: int | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
    start_after: dt.datetime | None = None,
    start_before: dt.datetime | None = None,
) -> BookableSlots:
    """Open slots a patient could book now, ordered by start: open, past the minimum notice and
    inside the horizon, of an active specialist who lists the visit type (a new-patient visit
    only while they accept new patients) and, given a state, is licensed there on the visit's
    date."""
    earliest, latest = _window(now, start_after, start_before)
    return sql.bookable_slots(
        earliest=earliest,
        latest=latest,
        specialist=specialist,
        specialty=specialty,
        state=state,
        visit_type=visit_type,
    )


def slots_next_available(
    *,
    now: dt.datetime | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
) -> BookableSlots:
    """The earliest bookable slot of each matching specialist, soonest first."""
    earliest, latest = _window(now)
    return sql.first_bookable_slots(
        earliest=earliest, latest=latest, specialty=specialty, state=state, visit_type=visit_type
    )


def booking_list(
    *,
    user: User,
    status: str | None = None,
    start_after: dt.datetime | None = None,
    start_before: dt.datetime | None = None,
) -> QuerySet[Booking]:
    """The bookings the caller may see (a patient's own, a specialist's, or all for admins),
    filtered as API.md says: `start_after` inclusive, `start_before` exclusive."""
    qs = filtered(
        Booking.objects.select_related("slot", "slot__specialist", "video"),
        status=status,
        slot__start__gte=start_after,
        slot__start__lt=start_before,
    )
    if is_admin(user):
        return qs
    if user.role == User.Role.PATIENT:
        return qs.filter(patient_id=user.pk)
    if user.role == User.Role.SPECIALIST:
        return qs.filter(slot__specialist__user=user)
    return qs.none()


def booking_next_by_phone(*, phone: str, now: dt.datetime) -> Booking | None:
    """The next confirmed visit, still ahead, of any patient with this phone: the visit a text
    from that number speaks of (a parent's phone may serve two patients)."""
    return (
        Booking.objects.filter(patient__phone=phone, status=Booking.Status.CONFIRMED, slot__start__gt=now)
        .select_related("slot", "patient")
        .order_by("slot__start", "id")
        .first()
    )


def rule_list(*, user: User) -> QuerySet[AvailabilityRule]:
    qs = AvailabilityRule.objects.select_related("specialist")
    return qs if is_admin(user) else qs.filter(specialist__user=user)


def time_off_list(*, user: User) -> QuerySet[TimeOff]:
    qs = TimeOff.objects.all()
    return qs if is_admin(user) else qs.filter(specialist__user=user)


def slot_list_managed(*, user: User) -> QuerySet[Slot]:
    """Slots the caller may change: their own, or any for admins (retired ones are history)."""
    qs = Slot.objects.exclude(status=Slot.Status.RETIRED).select_related("specialist")
    return qs if is_admin(user) else qs.filter(specialist__user=user)


def waitlist_list(*, user: User, status: str | None = None) -> QuerySet[WaitlistEntry]:
    """Waitlist entries: a patient's own, or all for admins; oldest first (the waitlist's order)."""
    qs = filtered(WaitlistEntry.objects.select_related("specialty"), status=status)
    if is_admin(user):
        return qs
    if user.role == User.Role.PATIENT:
        return qs.filter(patient_id=user.pk)
    return qs.none()


def offer_list(*, status: str | None = None) -> QuerySet[Offer]:
    """Every offer, newest first (for admins)."""
    return filtered(Offer.objects.all(), status=status)


def waitlist_counts() -> dict[str, int]:
    """How many entries wait and how many hold an offer, for the queue's dashboard."""
    counts = dict(
        WaitlistEntry.objects.filter(status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED])
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        status: counts.get(status, 0)
        for status in (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)
    }
