"""The waitlist: matching one freed slot against 100,000 waiting entries (issue 13).

A clinic of 60 specialists (1 to 3 specialties, licensed in 2 to 5 states, both visit types,
a tenth not accepting new patients) and 25,000 patients, 100,000 waiting entries among them
spread over the 8 specialties and the clinic's states (a fifth naming a specialist, a tenth a
visit type, a tenth a range of dates), created over 90 days; a tenth of the patients at the
active-booking cap (their upcoming bookings on slots of their own), so the first candidates of
a slot do not always fit. Rows are bulk-inserted: the services would take minutes.

Then `scheduling.services.offers.waitlist_match` (the conditions and the per-patient facts in
one statement per batch of candidates, `scheduling.sql.waitlist_candidates`) is timed for freed slots of every specialist, each
after 3 warm-up runs; and, for the record, the whole offer (`offer_slot_freed`: match, hold,
offer row, audit event), rolled back each time. Target: matching under 20 ms, judged on the
p95.

    python -m bench.waitlist [--database-url postgres://.../clinic_bench_waitlist] [--reuse]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from typing import Any

from bench.database import django_setup
from bench.report import Row, heading, run_benchmark
from bench.stats import Latency

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench_waitlist"
LIMIT_MS = 20.0
ENTRIES = 100_000
PATIENTS = 25_000
SPECIALISTS = 60
STATES = ["NY", "CA", "TX", "FL", "IL", "PA", "NJ", "MA", "WA", "GA"]
SEED = 13


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_WAITLIST_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=10, help="timed matches per freed slot")
    parser.add_argument("--reuse", action="store_true", help="run against the existing data set")
    return parser.parse_args()


def _count_entries() -> int:
    from scheduling.models import WaitlistEntry

    return WaitlistEntry.objects.filter(status="waiting").count()


def build(args: argparse.Namespace) -> None:
    from bench.database import fresh_database, reusable_rows

    heading("1. The data set")
    if (found := reusable_rows(args, _count_entries)) >= ENTRIES:
        print(f"reusing {found} waiting entries", flush=True)
        return
    fresh_database(args.database_url)
    t0 = time.perf_counter()
    _fill()
    print(f"built in {time.perf_counter() - t0:.1f} s", flush=True)


def _fill() -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from clinic.models import Patient, Specialist, Specialty, StateLicense, User, VisitType
    from scheduling.models import Booking, Slot, WaitlistEntry

    rng = random.Random(SEED)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        consult = VisitType.objects.create(
            slug="consult", name="Consult", duration_minutes=60, new_patient=True
        )
        follow_up = VisitType.objects.create(
            slug="follow-up", name="Follow-up", duration_minutes=30, new_patient=False
        )
        specialties = list(Specialty.objects.all())
        users = User.objects.bulk_create(
            User(email=f"dr{i}@bench.example", role=User.Role.SPECIALIST, password="!", last_name=f"Doc{i}")
            for i in range(SPECIALISTS)
        )
        specialists = Specialist.objects.bulk_create(
            Specialist(user=u, accepting_new_patients=rng.random() > 0.1) for u in users
        )
        licences = []
        for specialist in specialists:
            specialist.specialties.set(rng.sample(specialties, rng.randint(1, 3)))
            specialist.visit_types.set([consult, follow_up])
            for state in rng.sample(STATES, rng.randint(2, 5)):
                licences.append(
                    StateLicense(
                        specialist=specialist,
                        state=state,
                        number=f"{state}-{specialist.pk}",
                        expires_on=now.date() + dt.timedelta(days=730),
                    )
                )
        StateLicense.objects.bulk_create(licences)

        users = User.objects.bulk_create(
            (User(email=f"p{i}@bench.example", password="!", last_name=f"Pat{i}") for i in range(PATIENTS)),
            batch_size=5000,
        )
        patients = Patient.objects.bulk_create(
            (Patient(user=u, state=rng.choice(STATES), phone="+12125550123") for u in users), batch_size=5000
        )

        # The freed slots the matches are timed on: one per specialist and visit type, a week out.
        slots = []
        for i, specialist in enumerate(specialists):
            start = now + dt.timedelta(days=7, hours=i % 8)
            slots.append(
                Slot(
                    specialist=specialist, visit_type=consult, start=start, end=start + dt.timedelta(hours=1)
                )
            )
            later = start + dt.timedelta(days=1)
            slots.append(
                Slot(
                    specialist=specialist,
                    visit_type=follow_up,
                    start=later,
                    end=later + dt.timedelta(minutes=30),
                )
            )
        Slot.objects.bulk_create(slots)

        # A tenth of the patients at the cap: upcoming visits on slots of their own, far out.
        capped = rng.sample(patients, PATIENTS // 10)
        busy_slots = []
        for n in range(len(capped) * settings.MAX_ACTIVE_BOOKINGS):
            specialist = specialists[n % SPECIALISTS]
            start = now + dt.timedelta(days=20, hours=n // SPECIALISTS)
            busy_slots.append(
                Slot(
                    specialist=specialist,
                    visit_type=consult,
                    start=start,
                    end=start + dt.timedelta(hours=1),
                    status=Slot.Status.BOOKED,
                )
            )
        Slot.objects.bulk_create(busy_slots, batch_size=5000)
        Booking.objects.bulk_create(
            (
                Booking(patient=capped[n // settings.MAX_ACTIVE_BOOKINGS], slot=slot)
                for n, slot in enumerate(busy_slots)
            ),
            batch_size=5000,
        )

        entries = []
        for _ in range(ENTRIES):
            patient = rng.choice(patients)
            earliest = latest = None
            if rng.random() < 0.1:
                earliest = now.date() + dt.timedelta(days=rng.randint(0, 20))
                latest = earliest + dt.timedelta(days=rng.randint(1, 20))
            entries.append(
                WaitlistEntry(
                    patient=patient,
                    specialty=rng.choice(specialties),
                    state=patient.state,
                    specialist=rng.choice(specialists) if rng.random() < 0.2 else None,
                    visit_type=rng.choice([consult, follow_up]) if rng.random() < 0.1 else None,
                    earliest=earliest,
                    latest=latest,
                )
            )
        WaitlistEntry.objects.bulk_create(entries, batch_size=5000)
        with connection.cursor() as cursor:
            # Joined over 90 days, in a random order (auto_now_add stamped them all now).
            cursor.execute(
                "UPDATE scheduling_waitlistentry SET created_at = now() - random() * interval '90 days'"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"{SPECIALISTS} specialists, {PATIENTS} patients ({len(capped)} at the cap), "
        f"{ENTRIES} waiting entries",
        flush=True,
    )


def _freed_slots() -> list[Any]:
    from scheduling.models import Slot

    return list(
        Slot.objects.filter(status=Slot.Status.OPEN)
        .select_related("specialist", "visit_type")
        .order_by("specialist_id", "start")
    )


def measure(args: argparse.Namespace) -> list[Row]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from scheduling.services.offers import offer_slot_freed, waitlist_match

    slots = _freed_slots()
    heading(f"2. Matching a freed slot: {len(slots)} slots, {args.runs} timed runs each after 3 warm-up")
    samples: list[float] = []
    queries: list[int] = []
    found = 0
    for slot in slots:
        for _ in range(3):
            waitlist_match(slot=slot)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            entry = waitlist_match(slot=slot)
            samples.append((time.perf_counter() - t0) * 1000)
        with CaptureQueriesContext(connection) as captured:
            waitlist_match(slot=slot)
        queries.append(len(captured))
        found += entry is not None
    match = Latency.of(samples)
    print(f"waitlist_match       {match}", flush=True)
    print(
        f"a match found for {found} of {len(slots)} slots; queries per match {min(queries)} to {max(queries)}"
    )

    offer_samples = []
    for slot in slots:
        for _ in range(3):
            t0 = time.perf_counter()
            with transaction.atomic():
                offer_slot_freed(slot=slot)
                offer_samples.append((time.perf_counter() - t0) * 1000)
                transaction.set_rollback(True)
    print(f"offer_slot_freed     {Latency.of(offer_samples)}  (match, hold, offer, audit; rolled back)")

    heading("3. The candidates' statement's plan, for the first slot")
    statements: list[tuple[str, Any]] = []

    def grab(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "FROM scheduling_waitlistentry e" in sql:
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(grab):
        waitlist_match(slot=slots[0])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[0][0], statements[0][1])
        for (line,) in cursor.fetchall():
            print(line)

    return [
        Row(
            "match p95",
            f"{match.p95:.2f} ms (p50 {match.p50:.2f} ms, {len(samples)} matches)",
            f"< {LIMIT_MS:.0f} ms",
            match.p95 / LIMIT_MS,
            match.p95 < LIMIT_MS,
        )
    ]


def main() -> int:
    args = parse_args()
    django_setup(args.database_url, env={"LOG_LEVEL": "WARNING", **os.environ})
    return run_benchmark(build, [(measure, ["match p95"])], args)


if __name__ == "__main__":
    raise SystemExit(main())
