"""The read side of scheduling: slot search, next available, bookings scoped to the caller."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from clinic.models import User
from core import rows
from core.filters import filtered
from core.permissions import is_admin
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff

# Slot search and next available are the hottest reads, and the ORM spent several times longer
# building and compiling their queries (a subquery, three EXISTS, a count beside the page) than
# the database spent running them; so they are written here as SQL, from fragments each filter
# adds. Portable between PostgreSQL and SQLite: DATE() is a function-style cast on the one and a
# function on the other, both in UTC here; booleans are tested by truth, not compared.
#
# A slot is bookable when it is open, inside the booking window, of an active specialist who
# offers its visit type (a new-patient visit only while they accept new patients: their own
# patients book follow-ups, which stay listed) and, given a state, is licensed there on the
# visit's date. In every fragment `sp` is the specialist.
OFFERED_SQL = """EXISTS (SELECT 1 FROM clinic_specialist_visit_types o
    JOIN clinic_visittype t ON t.id = o.visittype_id
    WHERE o.specialist_id = sp.id AND o.visittype_id = {visit_type}
      AND (NOT t.new_patient OR sp.accepting_new_patients))"""
LICENSED_SQL = """EXISTS (SELECT 1 FROM clinic_statelicense l
    WHERE l.specialist_id = sp.id AND l.state = %(state)s AND l.expires_on >= {on})"""
SPECIALTY_SQL = """EXISTS (SELECT 1 FROM clinic_specialist_specialties ss
    JOIN clinic_specialty y ON y.id = ss.specialty_id
    WHERE ss.specialist_id = sp.id AND y.slug = %(specialty)s)"""
# What a search returns of each slot: the fields of SlotOut, in the order slots_out reads them.
SLOT_FIELDS = ("id", "specialist_id", "visit_type_id", "start", "end")
SlotRow = tuple[int, int, int, dt.datetime, dt.datetime]


@dataclass(frozen=True)
class SlotRows:
    """The slots a search finds, in order, read a page at a time: a sequence as Django's
    paginator takes one (slicing reads those rows, `count()` counts them all). Each row is a
    tuple of SLOT_FIELDS."""

    sql: str  # the ordered SELECT of SLOT_FIELDS from `s`, without LIMIT
    count_sql: str
    params: dict[str, Any]

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(self.count_sql, self.params)
            return int(cursor.fetchone()[0])

    def __getitem__(self, index: slice) -> list[SlotRow]:
        start, stop, _ = index.indices(sys.maxsize)
        params = {**self.params, "limit": max(0, stop - start), "offset": start}
        with connection.cursor() as cursor:
            cursor.execute(self.sql + " LIMIT %(limit)s OFFSET %(offset)s", params)
            return [cast(SlotRow, tuple(rows.values(Slot, SLOT_FIELDS, row))) for row in cursor.fetchall()]

    def first(self) -> SlotRow | None:
        found = self[:1]
        return found[0] if found else None


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


def _bookable(slot: str, *, state: str | None, visit_type: int | None) -> list[str]:
    """What makes the slot `slot` of the specialist `sp` bookable, as conditions to AND (the
    specialist's own, active and the rest, are the caller's)."""
    found = [
        # A literal, not a parameter: a prepared statement's generic plan can then use the
        # partial indexes on open slots (with `status = $1` it cannot know they apply).
        f"{slot}.status = '{Slot.Status.OPEN}'",
        f"{slot}.start >= %(earliest)s",
        f"{slot}.start < %(latest)s",
        OFFERED_SQL.format(visit_type=f"{slot}.visit_type_id"),
    ]
    if visit_type is not None:
        found.append(f"{slot}.visit_type_id = %(visit_type)s")
    if state:
        found.append(LICENSED_SQL.format(on=f"DATE({slot}.start)"))
    return found


def _params(earliest: dt.datetime, latest: dt.datetime, **search: Any) -> dict[str, Any]:
    adapt = connection.ops.adapt_datetimefield_value
    return {"earliest": adapt(earliest), "latest": adapt(latest), **search}


def slots_bookable(
    *,
    now: dt.datetime | None = None,
    specialist: int | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
    start_after: dt.datetime | None = None,
    start_before: dt.datetime | None = None,
) -> SlotRows:
    """Open slots a patient could book now (see the conditions above), ordered by start."""
    where = ["sp.is_active", *_bookable("s", state=state, visit_type=visit_type)]
    if specialist is not None:
        where.append("s.specialist_id = %(specialist)s")
    if specialty:
        where.append(SPECIALTY_SQL)
    source = (
        "FROM scheduling_slot s JOIN clinic_specialist sp ON sp.id = s.specialist_id WHERE "
        + " AND ".join(where)
    )
    return SlotRows(
        sql=f"SELECT {rows.columns(Slot, 's', SLOT_FIELDS)} {source} ORDER BY s.start, s.id",
        count_sql=f"SELECT COUNT(*) {source}",
        params=_params(
            *_window(now, start_after, start_before),
            specialist=specialist,
            specialty=specialty,
            state=state,
            visit_type=visit_type,
        ),
    )


def slots_next_available(
    *,
    now: dt.datetime | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
) -> SlotRows:
    """The earliest bookable slot of each matching specialist, soonest first.

    One correlated subquery per specialist, each an index range scan on
    (specialist, start) WHERE status = 'open' that stops at its first match. Specialists who
    cannot have a match (no licence in the state valid on the earliest bookable date, or not
    offering the visit type) are dropped before their subquery runs: otherwise each of them
    would scan every open slot of the horizon to find nothing. A specialist without a match
    yields NULL, which `id IN (...)` never matches, so no IS NOT NULL filter (which would run
    every subquery a second time) is needed.
    """
    earliest, latest = _window(now)
    first = "SELECT f.id FROM scheduling_slot f WHERE f.specialist_id = sp.id AND {} ORDER BY f.start, f.id LIMIT 1"
    specialists = ["sp.is_active"]
    if specialty:
        specialists.append(SPECIALTY_SQL)
    if state:
        specialists.append(LICENSED_SQL.format(on="%(earliest_date)s"))
    if visit_type is not None:
        specialists.append(OFFERED_SQL.format(visit_type="%(visit_type)s"))
    firsts = "SELECT ({}) FROM clinic_specialist sp WHERE {}".format(
        first.format(" AND ".join(_bookable("f", state=state, visit_type=visit_type))),
        " AND ".join(specialists),
    )
    source = f"FROM scheduling_slot s WHERE s.id IN ({firsts})"
    return SlotRows(
        sql=f"SELECT {rows.columns(Slot, 's', SLOT_FIELDS)} {source} ORDER BY s.start, s.id",
        count_sql=f"SELECT COUNT(*) {source}",
        params=_params(
            earliest,
            latest,
            earliest_date=connection.ops.adapt_datefield_value(earliest.astimezone(dt.UTC).date()),
            specialty=specialty,
            state=state,
            visit_type=visit_type,
        ),
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
