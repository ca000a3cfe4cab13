"""The reminder pipeline benchmark's data set: bookings with a video room and their reminder rows.

Everything is made by `INSERT ... SELECT` on the server, in one transaction: a million rows
through the ORM would take minutes, and the rows are plain. What the send path reads is real:
each booking has its confirmed status, its slot, its patient (opted in to SMS and email, with a
phone and a timezone) and its `VideoVisit` (whose nonce makes the join link in the message; the
two token digests are placeholders, unique as the schema wants, since no link is opened here).
What no phase reads is left out: licences, specialties, weekly rules.

Rows of `notifications_notification`:
- `future`: reminders at every `REMINDER_OFFSETS` offset on both channels of each booking,
  `pending`, `send_at` a day ahead or more (the slots start two days from now or later), four
  rows a booking with the default offsets;
- `drain`: a `booking_confirmed` SMS of each of the first `drain` bookings, `pending`, due
  within the last minute: the rows the worker drains.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clinic.models import VisitType

SPECIALISTS = 500
BOOKINGS_PER_PATIENT = 3
TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
BENCH_DOMAIN = "bench.example"


@dataclass
class BuildStats:
    bookings: int = 0
    future: int = 0
    drain: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _execute(script: str, params: dict[str, Any]) -> int:
    """Run each `;`-separated statement (server-side binding takes one at a time); the number
    of rows the last one wrote."""
    rows = 0
    with connection.cursor() as cursor:
        for statement in filter(str.strip, script.split(";")):
            cursor.execute(statement, {k: v for k, v in params.items() if f"%({k})s" in statement})
            rows = cursor.rowcount
    return rows


def _people(bookings: int, now: dt.datetime) -> None:
    patients = math.ceil(bookings / BOOKINGS_PER_PATIENT)
    _execute(
        """
        INSERT INTO clinic_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                                 date_joined, email, role)
        SELECT '!bench-unusable', false, 'Ada', 'Neuro' || lpad(i::text, 4, '0'), false, true,
               %(now)s, 'dr' || lpad(i::text, 4, '0') || '@' || %(domain)s, 'specialist'
        FROM generate_series(0, %(specialists)s - 1) AS i ORDER BY i;

        INSERT INTO clinic_specialist (credentials, bio, timezone, accepting_new_patients, is_active,
                                       phone, sms_alerts, email_alerts, created_at, user_id)
        SELECT 'MD', 'Board-certified neurologist.', 'America/New_York', true, true, '', false, true,
               %(now)s, id
        FROM clinic_user WHERE role = 'specialist' ORDER BY id;

        INSERT INTO clinic_user (password, is_superuser, first_name, last_name, is_staff, is_active,
                                 date_joined, email, role)
        SELECT '!bench-unusable', false, 'Pat', 'Ient' || lpad(i::text, 6, '0'), false, true,
               %(now)s, 'patient' || lpad(i::text, 6, '0') || '@' || %(domain)s, 'patient'
        FROM generate_series(0, %(patients)s - 1) AS i ORDER BY i;

        INSERT INTO clinic_patient (user_id, phone, state, timezone, sms_opt_in, email_opt_in, language)
        SELECT id, '+1212555' || lpad((id %% 10000)::text, 4, '0'), 'NY',
               (%(zones)s::text[])[1 + id %% %(nzones)s], true, true, 'en'
        FROM clinic_user WHERE role = 'patient' ORDER BY id;
        """,
        {
            "now": now,
            "domain": BENCH_DOMAIN,
            "specialists": SPECIALISTS,
            "patients": patients,
            "zones": TIMEZONES,
            "nzones": len(TIMEZONES),
        },
    )


def _bookings(bookings: int, now: dt.datetime, visit_type: VisitType) -> None:
    """One booked 30-minute slot per booking, specialists side by side from two days ahead."""
    _execute(
        """
        INSERT INTO scheduling_slot (start, "end", status, withdrawn, specialist_id, visit_type_id)
        SELECT %(base)s + (n / %(specialists)s) * interval '30 minutes',
               %(base)s + (n / %(specialists)s + 1) * interval '30 minutes',
               'booked', false, sp.id, %(visit_type)s
        FROM generate_series(0, %(bookings)s - 1) AS n
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM clinic_specialist) AS sp
          ON sp.i = n %% %(specialists)s
        ORDER BY n;

        INSERT INTO scheduling_booking (status, reason, created_at, updated_at, cancel_reason,
                                        cancelled_by, patient_id, slot_id)
        SELECT 'confirmed', 'Migraine with aura', %(now)s, %(now)s, '', '', p.user_id, s.id
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM scheduling_slot) AS s
        JOIN (SELECT user_id, row_number() OVER (ORDER BY user_id) - 1 AS i FROM clinic_patient) AS p
          ON p.i = s.i / %(per_patient)s
        ORDER BY s.id;

        INSERT INTO scheduling_videovisit (room, nonce, patient_token_sha256, specialist_token_sha256,
                                           created_at, booking_id)
        SELECT 'visit-' || left(md5('room' || id), 20), md5('nonce' || id),
               encode(sha256(('patient' || id)::bytea), 'hex'),
               encode(sha256(('specialist' || id)::bytea), 'hex'), %(now)s, id
        FROM scheduling_booking ORDER BY id;
        """,
        {
            "now": now,
            "base": timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2),
            "specialists": SPECIALISTS,
            "bookings": bookings,
            "visit_type": visit_type.pk,
            "per_patient": BOOKINGS_PER_PATIENT,
        },
    )


def _notifications(future: int, drain: int, now: dt.datetime) -> tuple[int, int]:
    future_rows = _execute(
        """
        INSERT INTO notifications_notification (kind, "offset", channel, recipient, send_at, status,
            attempts, last_error, error_code, provider_id, created_at, updated_at, booking_id,
            subject, audience, variant)
        SELECT 'reminder', o.seconds, c.channel,
               CASE c.channel WHEN 'sms' THEN p.phone ELSE u.email END,
               s.start - o.seconds * interval '1 second', 'pending', 0, '', '', '', %(now)s, %(now)s, b.id,
               'booking:' || b.id, 'patient', ''
        FROM scheduling_booking AS b
        JOIN scheduling_slot AS s ON s.id = b.slot_id
        JOIN clinic_patient AS p ON p.user_id = b.patient_id
        JOIN clinic_user AS u ON u.id = p.user_id
        CROSS JOIN unnest(%(offsets)s::int[]) AS o(seconds)
        CROSS JOIN unnest(ARRAY['sms', 'email']) AS c(channel)
        ORDER BY b.id, o.seconds DESC, c.channel
        LIMIT %(future)s
        """,
        {"now": now, "offsets": list(settings.REMINDER_OFFSETS), "future": future},
    )
    drain_rows = _execute(
        """
        INSERT INTO notifications_notification (kind, "offset", channel, recipient, send_at, status,
            attempts, last_error, error_code, provider_id, created_at, updated_at, booking_id,
            subject, audience, variant)
        SELECT 'booking_confirmed', 0, 'sms', p.phone,
               %(now)s - (1 + b.id %% 60) * interval '1 second', 'pending', 0, '', '', '',
               %(now)s, %(now)s, b.id, 'booking:' || b.id, 'patient', ''
        FROM (SELECT id, patient_id FROM scheduling_booking ORDER BY id LIMIT %(drain)s) AS b
        JOIN clinic_patient AS p ON p.user_id = b.patient_id
        ORDER BY b.id
        """,
        {"now": now, "drain": drain},
    )
    return future_rows, drain_rows


def build(*, future: int, drain: int) -> BuildStats:
    """Fill an empty, migrated database."""
    offsets = len(settings.REMINDER_OFFSETS)
    if not offsets:
        raise RuntimeError("REMINDER_OFFSETS is empty: no reminder rows to make")
    stats = BuildStats(bookings=max(drain, math.ceil(future / (2 * offsets))))
    now = timezone.now()
    with transaction.atomic():
        visit_type, _ = VisitType.objects.get_or_create(
            slug="follow-up",
            defaults={"name": "Follow-up visit", "duration_minutes": 30, "new_patient": False},
        )
        t0 = time.perf_counter()
        _people(stats.bookings, now)
        stats.timings["users, specialists, patients"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _bookings(stats.bookings, now, visit_type)
        stats.timings["slots, bookings, video rooms"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats.future, stats.drain = _notifications(future, drain, now)
        stats.timings["notifications"] = time.perf_counter() - t0
        t0 = time.perf_counter()
    stats.timings["commit (the deferred foreign-key checks)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Write the load's dirty pages out now, not during the timed phases (a checkpoint
        # needs a superuser or pg_checkpoint; without one, the run goes on with the noise).
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")
    stats.timings["VACUUM ANALYZE, CHECKPOINT"] = time.perf_counter() - t0
    return stats
