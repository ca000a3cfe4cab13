"""Availability: weekly rules, the slots they materialize, single slots and time off.

Every function that changes a specialist's slots first locks the specialist's row, so two
changes to one calendar run one after the other (the exclusion constraint would otherwise turn
the loser into an IntegrityError). Bookings do not take that lock: they claim a slot row.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from clinic.models import Specialist, User, VisitType
from core.errors import Conflict, InvalidInput
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff

UTC = dt.UTC


# --- Wall-clock time --------------------------------------------------------------------------


def local_to_utc(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall-clock time in `tz`, or None if that time does not exist.

    On a spring-forward day the skipped hour (02:30 in New York) has no instant: no slot starts
    then. On a fall-back day the repeated hour (01:30) has two: the first one (fold=0, still
    daylight time) is taken, so a slot happens once, at the earlier of the two.
    """
    naive = dt.datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return as_utc


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime


def rule_intervals(
    rule: AvailabilityRule,
    tz: ZoneInfo,
    duration: dt.timedelta,
    since: dt.datetime,
    until: dt.datetime,
) -> Iterator[Interval]:
    """The slots a rule yields that start in [since, until), back to back in wall-clock time.

    Each slot lasts `duration` of real time; it must end by the rule's end in wall-clock time.
    """
    first_day = max(rule.valid_from, since.astimezone(tz).date())
    last_day = until.astimezone(tz).date()
    if rule.valid_until is not None:
        last_day = min(last_day, rule.valid_until)
    if first_day > last_day:  # also keeps the arithmetic below away from date.max
        return
    day = first_day + dt.timedelta(days=(rule.weekday - first_day.weekday()) % 7)
    end_minutes = rule.end_time.hour * 60 + rule.end_time.minute
    step = int(duration.total_seconds() // 60)
    while day <= last_day:
        minutes = rule.start_time.hour * 60 + rule.start_time.minute
        while minutes + step <= end_minutes:
            start = local_to_utc(day, dt.time(minutes // 60, minutes % 60), tz)
            if start is not None and since <= start < until:
                yield Interval(start, start + duration)
            minutes += step
        day += dt.timedelta(days=7)


class Calendar:
    """A specialist's existing slots and time off in a window, to test candidates against.

    Slots of one specialist never overlap, so sorted by start they are sorted by end too and
    only the last slot starting before a candidate's end can overlap it.
    """

    def __init__(self, specialist: Specialist, since: dt.datetime, until: dt.datetime) -> None:
        taken = Slot.objects.filter(specialist=specialist, end__gt=since, start__lt=until)
        # Retired slots are history and hold no time.
        rows = taken.exclude(status=Slot.Status.RETIRED).values_list("start", "end")
        pairs = sorted(rows)
        self.starts = [s for s, _ in pairs]
        self.ends = [e for _, e in pairs]
        self.time_off = list(TimeOff.objects.filter(specialist=specialist, end__gt=since, start__lt=until))

    def overlaps(self, candidate: Interval) -> bool:
        i = bisect.bisect_left(self.starts, candidate.end) - 1
        return i >= 0 and self.ends[i] > candidate.start

    def time_off_at(self, candidate: Interval) -> TimeOff | None:
        for off in self.time_off:
            if off.start < candidate.end and off.end > candidate.start:
                return off
        return None

    def add(self, candidate: Interval) -> None:
        i = bisect.bisect_left(self.starts, candidate.start)
        self.starts.insert(i, candidate.start)
        self.ends.insert(i, candidate.end)


def horizon_end(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)


def _lock_specialist(specialist: Specialist) -> Specialist:
    return Specialist.objects.select_for_update().get(pk=specialist.pk)


def _materialize(specialist: Specialist, rules: Iterable[AvailabilityRule], now: dt.datetime) -> int:
    """Create the missing future slots of `rules` up to the horizon; returns how many."""
    until = horizon_end(now)
    calendar = Calendar(specialist, now, until)
    new: list[Slot] = []
    for rule in rules:
        for interval in rule_intervals(rule, specialist.timezone, rule.visit_type.duration, now, until):
            if calendar.overlaps(interval):
                continue
            off = calendar.time_off_at(interval)
            calendar.add(interval)
            new.append(
                Slot(
                    specialist=specialist,
                    visit_type=rule.visit_type,
                    start=interval.start,
                    end=interval.end,
                    rule=rule,
                    status=Slot.Status.BLOCKED if off else Slot.Status.OPEN,
                    time_off=off,
                )
            )
    Slot.objects.bulk_create(new, batch_size=1000)
    return len(new)


def _remove_unbooked_slots(slots: QuerySet[Slot]) -> None:
    """Remove the slots nobody holds: open ones, and ones only time off closed (left behind,
    deleting the time off would reopen them at a time no rule offers any more). One that a past
    or cancelled booking still points to stays as its history, retired: it holds no time."""
    slots = slots.filter(Q(status=Slot.Status.OPEN) | Q(status=Slot.Status.BLOCKED, time_off__isnull=False))
    slots.filter(bookings__isnull=False).update(status=Slot.Status.RETIRED, rule=None, time_off=None)
    slots.filter(bookings__isnull=True).delete()


# --- Rules ------------------------------------------------------------------------------------


def _check_offers(specialist: Specialist, visit_type: VisitType) -> None:
    if not specialist.visit_types.filter(pk=visit_type.pk).exists():
        raise InvalidInput(
            "The specialist does not offer this visit type.",
            code="visit_type_not_offered",
            fields={"visit_type": ["Not offered by this specialist."]},
        )


def _check_rule(
    *,
    specialist: Specialist,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    visit_type: VisitType,
    valid_from: dt.date,
    valid_until: dt.date | None,
    exclude_pk: int | None = None,
) -> None:
    if not 0 <= weekday <= 6:
        raise InvalidInput("The weekday is 0 (Monday) to 6 (Sunday).", fields={"weekday": ["0 to 6."]})
    if start_time >= end_time:
        raise InvalidInput(
            "The start must be before the end.", fields={"end_time": ["Must be after start_time."]}
        )
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput(
            "The rule ends before it starts.",
            fields={"valid_until": ["Must not be before valid_from."]},
        )
    span = dt.datetime.combine(dt.date.min, end_time) - dt.datetime.combine(dt.date.min, start_time)
    if span < visit_type.duration:
        raise InvalidInput(
            "The window is shorter than one visit.",
            fields={"end_time": ["Too short for this visit type."]},
        )
    _check_offers(specialist, visit_type)
    overlapping = AvailabilityRule.objects.filter(
        specialist=specialist, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    if overlapping.exists():
        raise InvalidInput(
            "The rule overlaps another rule of this specialist.",
            code="rule_overlaps",
            fields={"start_time": ["Overlaps an existing rule."]},
        )


@transaction.atomic
def rule_create(
    *,
    specialist: Specialist,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    visit_type: VisitType,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> AvailabilityRule:
    specialist = _lock_specialist(specialist)
    valid_from = valid_from or timezone.now().astimezone(specialist.timezone).date()
    _check_rule(
        specialist=specialist,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        visit_type=visit_type,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    rule = AvailabilityRule.objects.create(
        specialist=specialist,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        visit_type=visit_type,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _materialize(specialist, [rule], timezone.now())
    return rule


RULE_FIELDS = ("weekday", "start_time", "end_time", "visit_type", "valid_from", "valid_until")


@transaction.atomic
def rule_update(*, rule: AvailabilityRule, changes: dict[str, object]) -> AvailabilityRule:
    """Change a rule and regenerate its future open slots; booked slots are never touched."""
    specialist = _lock_specialist(rule.specialist)
    rule = AvailabilityRule.objects.select_for_update().get(pk=rule.pk)
    for field in RULE_FIELDS:
        if field in changes:
            setattr(rule, field, changes[field])
    _check_rule(
        specialist=specialist,
        weekday=rule.weekday,
        start_time=rule.start_time,
        end_time=rule.end_time,
        visit_type=rule.visit_type,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        exclude_pk=rule.pk,
    )
    rule.save()
    now = timezone.now()
    _remove_unbooked_slots(rule.slots.filter(start__gt=now))
    yielded = {
        (interval.start, interval.end)
        for interval in rule_intervals(
            rule, specialist.timezone, rule.visit_type.duration, now, horizon_end(now)
        )
    }
    _withdraw(
        [
            slot.pk
            for slot in rule.slots.filter(start__gt=now)
            if slot.visit_type_id != rule.visit_type_id or (slot.start, slot.end) not in yielded
        ]
    )
    _materialize(specialist, [rule], now)
    return rule


@transaction.atomic
def rule_delete(*, rule: AvailabilityRule) -> None:
    _lock_specialist(rule.specialist)
    future = rule.slots.filter(start__gt=timezone.now())
    _remove_unbooked_slots(future)
    _withdraw(list(future.values_list("pk", flat=True)))
    rule.delete()


def _withdraw(slot_ids: list[int]) -> None:
    """The booked slots a rule no longer yields leave the rule (regenerating it must not touch
    them) and retire once their visit is cancelled or moved (see `Slot.withdrawn`).

    The status is decided by the database, on the row as it stands when this UPDATE gets it: a
    cancel that had locked the slot, read it as not withdrawn and reopened it commits before
    this UPDATE proceeds, and the slot it reopened retires here.
    """
    Slot.objects.filter(pk__in=slot_ids).update(
        rule=None,
        withdrawn=True,
        status=Case(When(status=Slot.Status.OPEN, then=Value(Slot.Status.RETIRED)), default=F("status")),
    )


@transaction.atomic
def slots_extend(*, specialist: Specialist, now: dt.datetime | None = None) -> int:
    """Materialize every rule of one specialist up to the horizon (idempotent)."""
    specialist = _lock_specialist(specialist)
    rules = specialist.rules.select_related("visit_type")
    return _materialize(specialist, rules, now or timezone.now())


def slots_extend_horizon(*, now: dt.datetime | None = None) -> int:
    """The daily job: extend every active specialist's slots to the rolling horizon.

    One transaction per specialist, so a long run never holds many locks.
    """
    total = 0
    for specialist in Specialist.objects.filter(is_active=True).only("pk").iterator():
        total += slots_extend(specialist=specialist, now=now)
    return total


# --- Single slots -----------------------------------------------------------------------------


@transaction.atomic
def slot_add(*, specialist: Specialist, visit_type: VisitType, start: dt.datetime) -> Slot:
    specialist = _lock_specialist(specialist)
    now = timezone.now()
    if start <= now:
        raise InvalidInput(
            "A slot must start in the future.",
            code="in_the_past",
            fields={"start": ["In the past."]},
        )
    if start >= horizon_end(now):
        raise InvalidInput(
            "A slot must start within the booking horizon.",
            code="too_far_ahead",
            fields={"start": [f"Within {settings.BOOKING_HORIZON_DAYS} days."]},
        )
    _check_offers(specialist, visit_type)
    interval = Interval(start, start + visit_type.duration)
    calendar = Calendar(specialist, interval.start, interval.end)
    if calendar.overlaps(interval):
        raise Conflict("The slot overlaps another slot.", code="slot_overlaps")
    if calendar.time_off_at(interval):
        raise Conflict("The slot falls in time off.", code="slot_in_time_off")
    return Slot.objects.create(
        specialist=specialist, visit_type=visit_type, start=interval.start, end=interval.end
    )


@transaction.atomic
def slot_delete(*, slot: Slot) -> None:
    _lock_specialist(slot.specialist)
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.status == Slot.Status.BOOKED:
        raise Conflict("The slot is booked; cancel the booking first.", code="slot_booked")
    _remove_unbooked_slots(Slot.objects.filter(pk=slot.pk))


# --- Time off ---------------------------------------------------------------------------------


@transaction.atomic
def time_off_create(
    *,
    specialist: Specialist,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    cancel_conflicting: bool = False,
    by: User | None = None,
) -> TimeOff:
    """Close every slot the interval touches; refuse if confirmed bookings fall in it.

    Open slots are blocked *before* the bookings are read: a booking claiming one of them
    concurrently either committed first (and the read below sees it) or finds it blocked.
    `by` is who asked (the audit trail's actor of the cancellations); by default the specialist.
    """
    from scheduling.services.bookings import booking_cancel_for_time_off

    if start >= end:
        raise InvalidInput("The start must be before the end.", fields={"end": ["Must be after start."]})
    specialist = _lock_specialist(specialist)
    off = TimeOff.objects.create(specialist=specialist, start=start, end=end, reason=reason)
    touching = Slot.objects.filter(specialist=specialist, start__lt=end, end__gt=start)
    touching.filter(status=Slot.Status.OPEN).update(status=Slot.Status.BLOCKED, time_off=off)
    conflicting = list(
        Booking.objects.select_for_update()
        .filter(slot__in=touching, status=Booking.Status.CONFIRMED)
        .order_by("slot__start", "pk")
    )
    # A cancel or reschedule that committed while we waited for those locks released its slot
    # as open after our first pass: close it too.
    touching.filter(status=Slot.Status.OPEN).update(status=Slot.Status.BLOCKED, time_off=off)
    if conflicting and not cancel_conflicting:
        raise Conflict(
            "Confirmed bookings fall in this time off.",
            code="conflicting_bookings",
            bookings=[b.pk for b in conflicting],
        )
    for booking in conflicting:
        booking_cancel_for_time_off(booking=booking, time_off=off, by=by or specialist.user)
    return off


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    """Reopen the future slots it closed, unless other time off still covers them (a slot whose
    availability was withdrawn retires instead). Three statements, however many slots."""
    specialist = _lock_specialist(time_off.specialist)
    cover = (
        TimeOff.objects.filter(specialist=specialist, start__lt=OuterRef("end"), end__gt=OuterRef("start"))
        .exclude(pk=time_off.pk)
        .order_by("start", "pk")
        .values("pk")[:1]
    )
    closed = time_off.slots.filter(status=Slot.Status.BLOCKED)
    closed.filter(Exists(cover)).update(time_off=Subquery(cover))
    closed.filter(withdrawn=True).update(status=Slot.Status.RETIRED, time_off=None)
    closed.filter(start__gt=timezone.now()).update(status=Slot.Status.OPEN, time_off=None)
    time_off.delete()  # the past slots it closed stay closed
