"""Scheduling's hand-written SQL, and the fragment through which notifications reads a booking.

Why there is any: bench/README.md, "Why some statements are hand-written SQL". Rows are read by
column name into typed records (core.rows). Clinic's tables are read only through the fragments
of `clinic.sql`, composed into each statement, so every path here stays one statement.

- `bookable_slots` and `first_bookable_slots`: slot search and next available, as
  `BookableSlots` (read a page at a time) of `BookableSlot` records.
- `claim`: take an open slot (or a held one, by the patient its open offer is for, before the
  offer expires by the database's clock) and read what the booking policies test about it
  (`SlotFacts`).
- `waitlist_candidates`: the first waiting entries a freed slot could fit, with what the
  per-patient rules test (`WaitlistCandidate`).
- `booking_messages`: a FROM item for notifications, what a message says about a booking.

Portable between PostgreSQL and SQLite (3.35 and later): DATE() is a function-style cast on the
one and a function on the other, both in UTC here; booleans are tested by truth, not compared.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, fields
from typing import Any

from django.db import connection

from clinic import sql as clinic_sql
from clinic.models import Patient
from core import rows
from scheduling.models import Booking, Offer, Slot, WaitlistEntry


@dataclass(frozen=True)
class BookableSlot:
    """A slot a patient could book, as a search finds it."""

    id: int
    specialist_id: int
    visit_type_id: int
    start: dt.datetime
    end: dt.datetime


# The columns of a BookableSlot, each named for its field.
_SLOT_COLUMNS = tuple(field.name for field in fields(BookableSlot))


@dataclass(frozen=True)
class BookableSlots:
    """The slots a search finds, in order, read a page at a time: a sequence as Django's
    paginator takes one (slicing reads those rows, `count()` counts them all)."""

    sql: str  # the ordered SELECT of a BookableSlot's columns, without LIMIT
    count_sql: str
    params: dict[str, Any]

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(self.count_sql, self.params)
            return int(cursor.fetchone()[0])

    def __getitem__(self, index: slice) -> list[BookableSlot]:
        start, stop, _ = index.indices(sys.maxsize)
        params = {**self.params, "limit": max(0, stop - start), "offset": start}
        with connection.cursor() as cursor:
            cursor.execute(self.sql + " LIMIT %(limit)s OFFSET %(offset)s", params)
            return rows.records(BookableSlot, cursor)

    def first(self) -> BookableSlot | None:
        found = self[:1]
        return found[0] if found else None


# A slot is bookable when it is open, inside the window [earliest, latest), of an active
# specialist who lists its visit type (clinic_sql.takes) and, given a state, is licensed there on
# the visit's date. In every condition `sp` is the specialist, a clinic_sql.specialists() row.


def _bookable(slot: str, *, state: str | None, visit_type: int | None) -> list[str]:
    """What makes the slot `slot` of the specialist `sp` bookable, as conditions to AND (the
    specialist's own, active and the rest, are the caller's)."""
    found = [
        # A literal, not a parameter: a prepared statement's generic plan can then use the
        # partial indexes on open slots (with `status = $1` it cannot know they apply).
        f"{slot}.status = '{Slot.Status.OPEN}'",
        f"{slot}.start >= %(earliest)s",
        f"{slot}.start < %(latest)s",
        clinic_sql.takes("sp.id", visit_type=f"{slot}.visit_type_id", accepting="sp.accepting_new_patients"),
    ]
    if visit_type is not None:
        found.append(f"{slot}.visit_type_id = %(visit_type)s")
    if state:
        found.append(clinic_sql.licensed("sp.id", state="%(state)s", on=f"DATE({slot}.start)"))
    return found


def _params(earliest: dt.datetime, latest: dt.datetime, **search: Any) -> dict[str, Any]:
    adapt = connection.ops.adapt_datetimefield_value
    return {"earliest": adapt(earliest), "latest": adapt(latest), **search}


def _slots(source: str, params: dict[str, Any]) -> BookableSlots:
    return BookableSlots(
        sql=f"SELECT {rows.columns(Slot, 's', _SLOT_COLUMNS)} {source} ORDER BY s.start, s.id",
        count_sql=f"SELECT COUNT(*) {source}",
        params=params,
    )


def bookable_slots(
    *,
    earliest: dt.datetime,
    latest: dt.datetime,
    specialist: int | None = None,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
) -> BookableSlots:
    """Bookable slots starting in [earliest, latest), ordered by start."""
    where = ["sp.is_active", *_bookable("s", state=state, visit_type=visit_type)]
    if specialist is not None:
        where.append("s.specialist_id = %(specialist)s")
    if specialty:
        where.append(clinic_sql.has_specialty("sp.id", slug="%(specialty)s"))
    source = (
        f"FROM scheduling_slot s JOIN {clinic_sql.specialists('sp')} ON sp.id = s.specialist_id WHERE "
        + " AND ".join(where)
    )
    search = {"specialist": specialist, "specialty": specialty, "state": state, "visit_type": visit_type}
    return _slots(source, _params(earliest, latest, **search))


def first_bookable_slots(
    *,
    earliest: dt.datetime,
    latest: dt.datetime,
    specialty: str | None = None,
    state: str | None = None,
    visit_type: int | None = None,
) -> BookableSlots:
    """The earliest bookable slot of each matching specialist, soonest first.

    One correlated subquery per specialist, each an index range scan on
    (specialist, start) WHERE status = 'open' that stops at its first match. Specialists who
    cannot have a match (no licence in the state valid on the earliest bookable date, or not
    listing the visit type) are dropped before their subquery runs: otherwise each of them
    would scan every open slot of the horizon to find nothing. A specialist without a match
    yields NULL, which `id IN (...)` never matches, so no IS NOT NULL filter (which would run
    every subquery a second time) is needed.
    """
    first = "SELECT f.id FROM scheduling_slot f WHERE f.specialist_id = sp.id AND {} ORDER BY f.start, f.id LIMIT 1"
    specialists = ["sp.is_active"]
    if specialty:
        specialists.append(clinic_sql.has_specialty("sp.id", slug="%(specialty)s"))
    if state:
        specialists.append(clinic_sql.licensed("sp.id", state="%(state)s", on="%(earliest_date)s"))
    if visit_type is not None:
        specialists.append(
            clinic_sql.takes("sp.id", visit_type="%(visit_type)s", accepting="sp.accepting_new_patients")
        )
    firsts = "SELECT ({}) FROM {} WHERE {}".format(
        first.format(" AND ".join(_bookable("f", state=state, visit_type=visit_type))),
        clinic_sql.specialists("sp"),
        " AND ".join(specialists),
    )
    params = _params(
        earliest,
        latest,
        earliest_date=connection.ops.adapt_datefield_value(earliest.astimezone(dt.UTC).date()),
        specialty=specialty,
        state=state,
        visit_type=visit_type,
    )
    return _slots(f"FROM scheduling_slot s WHERE s.id IN ({firsts})", params)


@dataclass(frozen=True)
class SlotFacts:
    """What the booking policies test about a slot, beside the slot itself."""

    specialist_active: bool
    specialist_accepting: bool
    new_patient_visit: bool
    licensed: bool  # in the patient's state on the visit date
    offered: bool  # the specialist still offers the slot's visit type
    patient_upcoming: int  # the patient's confirmed visits still ahead


# Take the slot if, and only if, it is still open, or held for this patient by an offer that
# has not expired (of racing transactions, exactly one updates the row), and return in the same
# statement what the booking policies need to know about it (three lookups, two EXISTS, a
# correlated count). PostgreSQL and SQLite (3.35 and later) both return subqueries from an
# UPDATE. The table goes by its own name: SQLite's RETURNING cannot see an alias.
#
# An offer's expiry is decided by the database's clock ({now}), the one clock every process
# shares: a claim a second late is refused whatever the web server's clock says, and whenever
# the lapse task runs. SQLite's text form compares with the stored one (UTC, "YYYY-MM-DD
# HH:MM:SS.ffffff").
CLAIM_SQL = f"""
UPDATE scheduling_slot SET status = %(booked)s
WHERE scheduling_slot.id = %(slot)s AND (scheduling_slot.status = %(open)s
  OR (scheduling_slot.status = %(held)s AND EXISTS (SELECT 1 FROM scheduling_offer o
      WHERE o.slot_id = scheduling_slot.id AND o.status = 'open' AND o.patient_id = %(patient)s
        AND o.expires_at > {{now}})))
RETURNING {{slot}},
  (SELECT sp.is_active FROM {clinic_sql.specialists("sp")}
   WHERE sp.id = scheduling_slot.specialist_id) AS specialist_active,
  (SELECT sp.accepting_new_patients FROM {clinic_sql.specialists("sp")}
   WHERE sp.id = scheduling_slot.specialist_id) AS specialist_accepting,
  (SELECT vt.new_patient FROM {clinic_sql.visit_types("vt")}
   WHERE vt.id = scheduling_slot.visit_type_id) AS new_patient_visit,
  {clinic_sql.licensed("scheduling_slot.specialist_id", state="%(state)s", on="DATE(scheduling_slot.start)")}
    AS licensed,
  {clinic_sql.offers("scheduling_slot.specialist_id", visit_type="scheduling_slot.visit_type_id")} AS offered,
  (SELECT COUNT(*) FROM scheduling_booking b JOIN scheduling_slot bs ON bs.id = b.slot_id
   WHERE b.patient_id = %(patient)s AND b.status = 'confirmed' AND bs.start > %(now)s) AS patient_upcoming
"""


def _database_now() -> str:
    """The database's own clock, as an SQL expression comparable with a stored datetime."""
    if connection.vendor == "sqlite":
        return "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')"
    return "statement_timestamp()"


def claim(slot_id: int, *, patient: Patient, now: dt.datetime) -> tuple[Slot, SlotFacts] | None:
    """Book the slot `slot_id` if it is open, or held for `patient` by an offer still open: the
    slot, now booked, and its facts for `patient` at `now`; None if it is not there or not
    claimable."""
    params = {
        "booked": Slot.Status.BOOKED,
        "open": Slot.Status.OPEN,
        "held": Slot.Status.HELD,
        "slot": slot_id,
        "state": patient.state,
        "patient": patient.pk,
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_SQL.format(slot=rows.columns(Slot, "scheduling_slot"), now=_database_now()), params
        )
        row = rows.fetchone(cursor)
    if row is None:
        return None
    return rows.instance(Slot, row), rows.record(SlotFacts, row)


@dataclass(frozen=True)
class WaitlistCandidate:
    """A waiting entry a freed slot could fit by the cheap conditions, with what the per-patient
    rules test about its patient (scheduling.services.offers)."""

    id: int
    patient_id: int
    created_at: dt.datetime
    earliest: dt.date | None
    latest: dt.date | None
    patient_timezone: str  # an IANA name
    upcoming: int  # confirmed visits still ahead
    held: int  # open offers (slots held for the patient)
    had_slot: bool  # offered this slot before, or booked it (the one who just cancelled)


# One ordered arm per (specialty, state) pair, each a walk of the partial index
# `waitlist_waiting_match` that stops at `limit` rows, merged and cut to `limit`: the cost is the
# pairs times `limit`, however long the waitlist. One query with `IN` lists instead sorts every
# waiting entry of those specialties and states (10,000 and more of 100,000) to keep 20, and the
# ORM's union of the same arms spends longer compiling than the database running it (bench/
# waitlist.py). The arms are derived tables, whose ORDER BY and LIMIT both backends accept inside
# a UNION. The per-patient facts are computed for the kept rows only, outside the arms (each
# condition in an arm is planned once per arm).
_WAITLIST_ARM = f"""SELECT * FROM (SELECT e.id, e.patient_id, e.created_at, e.earliest, e.latest
  FROM scheduling_waitlistentry e
  WHERE e.status = '{WaitlistEntry.Status.WAITING}' AND e.specialty_id = %(specialty_{{i}})s
    AND e.state = %(state_{{i}})s
    AND (e.specialist_id IS NULL OR e.specialist_id = %(specialist)s)
    AND (e.visit_type_id IS NULL OR e.visit_type_id = %(visit_type)s)
    AND (e.earliest IS NULL OR e.earliest <= %(day_after)s)
    AND (e.latest IS NULL OR e.latest >= %(day_before)s)
    AND (e.created_at > %(after_created)s OR (e.created_at = %(after_created)s AND e.id > %(after_id)s))
    {{returning}}
  ORDER BY e.created_at, e.id LIMIT %(limit)s) arm_{{i}}"""

# Only the specialist's own patients (a follow-up, or a new-patient visit while they take no new
# patients): a few hundred at most, hashed once, so the walk skips the rest without a batch
# round trip for every 20 of them.
_RETURNING = f"""AND e.patient_id IN (SELECT b.patient_id FROM scheduling_booking b
      JOIN scheduling_slot bs ON bs.id = b.slot_id
      WHERE bs.specialist_id = %(specialist)s AND b.status = '{Booking.Status.COMPLETED}')"""

_WAITLIST_CANDIDATES = f"""SELECT c.id, c.patient_id, c.created_at, c.earliest, c.latest,
  p.timezone AS patient_timezone,
  (SELECT COUNT(*) FROM scheduling_booking b JOIN scheduling_slot bs ON bs.id = b.slot_id
    WHERE b.patient_id = c.patient_id AND b.status = '{Booking.Status.CONFIRMED}' AND bs.start > %(now)s)
    AS upcoming,
  (SELECT COUNT(*) FROM scheduling_offer o WHERE o.patient_id = c.patient_id
    AND o.status = '{Offer.Status.OPEN}') AS held,
  EXISTS (SELECT 1 FROM scheduling_offer o WHERE o.slot_id = %(slot)s AND o.patient_id = c.patient_id)
    OR EXISTS (SELECT 1 FROM scheduling_booking b WHERE b.slot_id = %(slot)s AND b.patient_id = c.patient_id)
    AS had_slot
FROM ({{arms}}) c JOIN {clinic_sql.patients("p")} ON p.id = c.patient_id
ORDER BY c.created_at, c.id LIMIT %(limit)s"""

# Before every entry: the keyset of the first batch.
_BEGINNING = dt.datetime(1, 1, 2, tzinfo=dt.UTC)


def waitlist_candidates(
    *,
    slot: Slot,
    pairs: list[tuple[int, str]],
    now: dt.datetime,
    after: tuple[dt.datetime, int] | None,
    limit: int,
    returning_only: bool = False,
) -> list[WaitlistCandidate]:
    """The first `limit` waiting entries after `after` (created_at, id) for one of the
    (specialty id, state) `pairs`, that the slot fits by specialist, visit type and dates (a
    day of slack either side of its UTC date: the exact test is the caller's, in the patient's
    zone), and, `returning_only`, whose patient has completed a visit with the slot's
    specialist; first come first served, with the facts the per-patient rules test."""
    if not pairs:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    day = slot.start.astimezone(dt.UTC).date()
    after_created, after_id = after or (_BEGINNING, 0)
    params: dict[str, Any] = {
        "slot": slot.pk,
        "specialist": slot.specialist_id,
        "visit_type": slot.visit_type_id,
        "day_after": connection.ops.adapt_datefield_value(day + dt.timedelta(days=1)),
        "day_before": connection.ops.adapt_datefield_value(day - dt.timedelta(days=1)),
        "after_created": adapt(after_created),
        "after_id": after_id,
        "now": adapt(now),
        "limit": limit,
    }
    for i, (specialty, state) in enumerate(pairs):
        params[f"specialty_{i}"], params[f"state_{i}"] = specialty, state
    returning = _RETURNING if returning_only else ""
    arms = " UNION ALL ".join(_WAITLIST_ARM.format(i=i, returning=returning) for i in range(len(pairs)))
    with connection.cursor() as cursor:
        cursor.execute(_WAITLIST_CANDIDATES.format(arms=arms), params)
        return rows.records(WaitlistCandidate, cursor)


def booking_messages(alias: str) -> str:
    """FROM item: what a message says about each booking, as `alias`, with the columns
    `booking_id`, `booking_status`, `start` (the visit's), the patient's `patient_id`, `phone`,
    `sms_opt_in`, `email_opt_in`, `patient_timezone` (an IANA name) and `patient_language`, the
    specialist's
    `specialist_last_name`, and `video_nonce` (null while the visit has no room)."""
    return f"""(SELECT b.id AS booking_id, b.status AS booking_status, s.start AS start,
    p.id AS patient_id, p.phone, p.sms_opt_in, p.email_opt_in, p.timezone AS patient_timezone,
    p.language AS patient_language,
    sp.last_name AS specialist_last_name, v.nonce AS video_nonce
  FROM scheduling_booking b
  JOIN scheduling_slot s ON s.id = b.slot_id
  JOIN {clinic_sql.patients("p")} ON p.id = b.patient_id
  JOIN {clinic_sql.specialist_names("sp")} ON sp.id = s.specialist_id
  LEFT JOIN scheduling_videovisit v ON v.booking_id = b.id) {alias}"""
