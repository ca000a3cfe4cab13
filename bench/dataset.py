"""Build the benchmark's data set: a 200-specialist clinic with a 60-day horizon of slots.

People, licences and weekly rules are bulk-inserted (their rows are plain, and the services
that make them one at a time would take minutes); the slots are materialized by the
application's own service, `slots_extend`, so they are exactly the rows the daily
horizon job makes; a few specialists take time off through `time_off_create`.
Then a share of the open slots is booked by patients licensed for them, in bulk (confirmed
bookings on booked slots, at most MAX_ACTIVE_BOOKINGS each, as the booking service leaves them).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from clinic.models import Patient, Specialist, Specialty, StateLicense, User, VisitType
from scheduling.models import AvailabilityRule, Booking, Slot
from scheduling.services.rules import slots_extend
from scheduling.services.time_off import time_off_create

SPECIALTIES = [
    "headache-migraine",
    "chronic-pain",
    "epilepsy",
    "sleep",
    "movement-disorders",
    "multiple-sclerosis",
    "neuromuscular",
    "general-neurology",
]

# state: (timezone of a specialist living there, weight as a home or extra licence state)
STATES: dict[str, tuple[str, float]] = {
    "NY": ("America/New_York", 10),
    "CA": ("America/Los_Angeles", 9),
    "TX": ("America/Chicago", 8),
    "FL": ("America/New_York", 7),
    "IL": ("America/Chicago", 5),
    "PA": ("America/New_York", 5),
    "NJ": ("America/New_York", 5),
    "MA": ("America/New_York", 4),
    "WA": ("America/Los_Angeles", 4),
    "GA": ("America/New_York", 3),
    "NC": ("America/New_York", 3),
    "OH": ("America/New_York", 3),
    "MI": ("America/Detroit", 3),
    "CO": ("America/Denver", 3),
    "AZ": ("America/Phoenix", 2),
    "OR": ("America/Los_Angeles", 2),
    "MN": ("America/Chicago", 2),
    "CT": ("America/New_York", 2),
}

CONSULT = ("new-patient-consult", "New patient consultation", 60, True)
FOLLOW_UP = ("follow-up", "Follow-up visit", 30, False)
REASONS = ["Migraine with aura", "Chronic low back pain", "Numbness in both feet", "Tremor", ""]
BENCH_DOMAIN = "bench.example"


@dataclass
class BuildStats:
    specialists: int = 0
    licenses: int = 0
    rules: int = 0
    slots: int = 0
    open_slots: int = 0
    booked_slots: int = 0
    blocked_slots: int = 0
    patients: int = 0
    bookings: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _pick_states(rng: random.Random, k: int) -> list[str]:
    names = list(STATES)
    weights = [STATES[s][1] for s in names]
    chosen: list[str] = []
    while len(chosen) < k:
        state = rng.choices(names, weights)[0]
        if state not in chosen:
            chosen.append(state)
    return chosen


def _license_expiry(rng: random.Random, today: dt.date) -> dt.date:
    roll = rng.random()
    if roll < 0.08:  # renewal due inside the horizon: bookable only up to that date
        return today + dt.timedelta(days=rng.randint(5, 55))
    if roll < 0.11:  # lapsed
        return today - dt.timedelta(days=rng.randint(1, 90))
    return today + dt.timedelta(days=rng.randint(120, 1000))


def _visit_types() -> tuple[VisitType, VisitType]:
    made = []
    for slug, name, minutes, new in (CONSULT, FOLLOW_UP):
        visit_type, _ = VisitType.objects.get_or_create(
            slug=slug, defaults={"name": name, "duration_minutes": minutes, "new_patient": new}
        )
        made.append(visit_type)
    return made[0], made[1]


def _weekly_rules(
    rng: random.Random, specialist: Specialist, consult: VisitType, follow_up: VisitType, today: dt.date
) -> list[AvailabilityRule]:
    """Mornings for consultations, afternoons and evenings for follow-ups, Monday to Friday;
    Saturdays for most. About 110 slots a week, as in a busy telehealth practice."""
    rules = []
    start = rng.choice([7, 8, 9])
    days = [0, 1, 2, 3, 4] + ([5] if rng.random() < 0.7 else [])
    for weekday in days:
        if weekday == 5:
            blocks = [(9, 17, follow_up)]
        else:
            blocks = [(start, start + 4, consult), (start + 5, start + 13, follow_up)]
        for begin, end, visit_type in blocks:
            rules.append(
                AvailabilityRule(
                    specialist=specialist,
                    weekday=weekday,
                    start_time=dt.time(begin),
                    end_time=dt.time(min(end, 23)),
                    visit_type=visit_type,
                    valid_from=today,
                )
            )
    return rules


def _people(rng: random.Random, n: int) -> list[Specialist]:
    consult, follow_up = _visit_types()
    specialties = {s.slug: s for s in Specialty.objects.filter(slug__in=SPECIALTIES)}
    missing = set(SPECIALTIES) - set(specialties)
    if missing:
        raise RuntimeError(f"specialties missing after migrate: {sorted(missing)}")
    users = User.objects.bulk_create(
        User(
            email=f"dr{i:04d}@{BENCH_DOMAIN}",
            first_name=rng.choice(["Ada", "Luis", "Mei", "Samuel", "Hannah", "Omar", "Ines", "Kofi"]),
            last_name=f"Neuro{i:04d}",
            role=User.Role.SPECIALIST,
            password="!bench-unusable",
        )
        for i in range(n)
    )
    homes = [_pick_states(rng, rng.randint(2, 5)) for _ in range(n)]
    specialists = Specialist.objects.bulk_create(
        Specialist(
            user=user,
            credentials=rng.choice(["MD", "MD", "DO"]),
            bio="Board-certified neurologist.",
            timezone=ZoneInfo(STATES[states[0]][0]),
            accepting_new_patients=rng.random() < 0.85,
            is_active=True,
        )
        for user, states in zip(users, homes, strict=True)
    )
    today = timezone.localdate()
    through_specialty = Specialist.specialties.through
    through_visit_type = Specialist.visit_types.through
    specialty_rows, visit_type_rows, licenses, rules = [], [], [], []
    for specialist, states in zip(specialists, homes, strict=True):
        for slug in rng.sample(SPECIALTIES, rng.randint(1, 3)):
            specialty_rows.append(through_specialty(specialist=specialist, specialty=specialties[slug]))
        for visit_type in (consult, follow_up):
            visit_type_rows.append(through_visit_type(specialist=specialist, visittype=visit_type))
        for state in states:
            licenses.append(
                StateLicense(
                    specialist=specialist,
                    state=state,
                    number=f"{state}-{specialist.pk:06d}",
                    expires_on=_license_expiry(rng, today),
                )
            )
        local_today = timezone.now().astimezone(specialist.timezone).date()
        rules.extend(_weekly_rules(rng, specialist, consult, follow_up, local_today))
    through_specialty.objects.bulk_create(specialty_rows)
    through_visit_type.objects.bulk_create(visit_type_rows)
    StateLicense.objects.bulk_create(licenses)
    AvailabilityRule.objects.bulk_create(rules, batch_size=2000)
    return specialists


def _time_off(rng: random.Random, specialists: list[Specialist]) -> None:
    """A few specialists take an afternoon off in the third week, through the service."""
    now = timezone.now()
    for specialist in rng.sample(specialists, 10):
        day = (now + dt.timedelta(days=rng.randint(14, 20))).astimezone(specialist.timezone).date()
        start = dt.datetime.combine(day, dt.time(12), tzinfo=specialist.timezone)
        time_off_create(
            specialist=specialist, start=start, end=start + dt.timedelta(hours=6), reason="Conference"
        )


def _book_share(rng: random.Random, fraction: float) -> tuple[int, int]:
    """Book `fraction` of the open slots, each by a patient licensed for it, at most
    MAX_ACTIVE_BOOKINGS upcoming bookings a patient. Returns (patients, bookings)."""
    today = timezone.localdate()
    licenses: dict[int, list[tuple[str, dt.date]]] = defaultdict(list)
    for specialist_id, state, expires_on in StateLicense.objects.values_list(
        "specialist_id", "state", "expires_on"
    ):
        if expires_on >= today:
            licenses[specialist_id].append((state, expires_on))
    slots = list(Slot.objects.filter(status=Slot.Status.OPEN).values_list("pk", "specialist_id", "start"))
    picked = [row for row in slots if rng.random() < fraction]
    per_patient = settings.MAX_ACTIVE_BOOKINGS
    # state -> [patient index, bookings so far]
    current: dict[str, list[int]] = {}
    patient_states: list[str] = []
    assignments: list[tuple[int, int]] = []  # (slot id, patient index)
    for slot_id, specialist_id, start in picked:
        states = [s for s, expires_on in licenses[specialist_id] if expires_on >= start.date()]
        if not states:
            continue
        state = rng.choice(states)
        cur = current.get(state)
        if cur is None or cur[1] >= per_patient:
            cur = current[state] = [len(patient_states), 0]
            patient_states.append(state)
        cur[1] += 1
        assignments.append((slot_id, cur[0]))
    users = User.objects.bulk_create(
        (
            User(
                email=f"patient{i:06d}@{BENCH_DOMAIN}",
                first_name="Pat",
                last_name=f"Ient{i:06d}",
                role=User.Role.PATIENT,
                password="!bench-unusable",
            )
            for i in range(len(patient_states))
        ),
        batch_size=5000,
    )
    Patient.objects.bulk_create(
        (
            Patient(
                user=user,
                phone=f"+1212555{i % 10000:04d}",
                state=state,
                timezone=ZoneInfo(STATES[state][0]),
                sms_opt_in=rng.random() < 0.7,
                email_opt_in=True,
            )
            for i, (user, state) in enumerate(zip(users, patient_states, strict=True))
        ),
        batch_size=5000,
    )
    slot_ids = [slot_id for slot_id, _ in assignments]
    for i in range(0, len(slot_ids), 10000):
        Slot.objects.filter(pk__in=slot_ids[i : i + 10000]).update(status=Slot.Status.BOOKED)
    Booking.objects.bulk_create(
        (
            Booking(
                patient_id=users[index].pk,
                slot_id=slot_id,
                status=Booking.Status.CONFIRMED,
                reason=rng.choice(REASONS),
            )
            for slot_id, index in assignments
        ),
        batch_size=5000,
    )
    return len(users), len(assignments)


def build(*, specialists: int = 200, booked_fraction: float = 0.2, seed: int = 2026) -> BuildStats:
    """Fill an empty, migrated database. Deterministic for a given seed and day."""
    rng = random.Random(seed)
    stats = BuildStats()
    t0 = time.perf_counter()
    with transaction.atomic():
        people = _people(rng, specialists)
    stats.timings["people, licences, rules (bulk)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    now = timezone.now()
    for specialist in people:
        stats.slots += slots_extend(specialist=specialist, now=now)
    stats.timings["slots (slots_extend)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _time_off(rng, people)
    stats.timings["time off (time_off_create)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with transaction.atomic():
        stats.patients, stats.bookings = _book_share(rng, booked_fraction)
    stats.timings["patients and bookings (bulk)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    stats.timings["VACUUM ANALYZE"] = time.perf_counter() - t0

    stats.specialists = len(people)
    stats.licenses = StateLicense.objects.count()
    stats.rules = AvailabilityRule.objects.count()
    counts = dict(
        Slot.objects.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    stats.open_slots = counts.get(Slot.Status.OPEN, 0)
    stats.booked_slots = counts.get(Slot.Status.BOOKED, 0)
    stats.blocked_slots = counts.get(Slot.Status.BLOCKED, 0)
    stats.slots = sum(counts.values())
    return stats
