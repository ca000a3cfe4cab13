"""Slots: the one service that changes a slot's status, from its creation to its retirement.

A slot is created open (or blocked, under time off) from a rule or by hand; a booking claims it
(`slot_claim`: the conditional UPDATE of `scheduling.sql.claim`); a waitlist offer holds it
(`slot_hold`, `slot_unhold`); it is released when its visit is cancelled or moved (open again, blocked under time off, or retired if its rule withdrew it
meanwhile); time off blocks and unblocks it; a rule that no longer yields it withdraws it; and a
slot nobody holds is removed, or retired when a past or cancelled booking still points to it. A
slot coming back to open for a cancelled or moved visit is announced with
`scheduling.signals.slot_freed`.

These functions run inside their caller's transaction (the booking, rule or time off service
that asked). Every change to a specialist's slots other than a booking's first takes
`lock_specialist`, so two changes to one specialist's schedule run one after the other (the
exclusion constraint would otherwise turn the loser into an IntegrityError). Bookings do not
take that lock: they claim a slot row.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from clinic.models import Patient, Specialist, User, VisitType
from core.audit import audit_event_record
from core.errors import Conflict, InvalidInput
from scheduling import sql
from scheduling.expansion import Interval, horizon_end
from scheduling.models import AvailabilityRule, Slot, TimeOff
from scheduling.signals import slot_freed
from scheduling.sql import SlotFacts


def lock_specialist(specialist: Specialist) -> Specialist:
    """The specialist's row, locked: the lock every change to their slots takes first."""
    return Specialist.objects.select_for_update().get(pk=specialist.pk)


class Occupancy:
    """The times a specialist's slots and time off take in a window, to test candidates against.

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


def check_offered(specialist: Specialist, visit_type: VisitType) -> None:
    """Refuse a visit type the specialist does not offer (for a rule or a single slot)."""
    if not specialist.visit_types.filter(pk=visit_type.pk).exists():
        raise InvalidInput(
            "The specialist does not offer this visit type.",
            code="visit_type_not_offered",
            fields={"visit_type": ["Not offered by this specialist."]},
        )


# --- Creating and removing --------------------------------------------------------------------


def slot_materialize(
    *,
    specialist: Specialist,
    candidates: Iterable[tuple[AvailabilityRule, Interval]],
    since: dt.datetime,
    until: dt.datetime,
) -> int:
    """Create the slots rules yield in [since, until) where no slot is yet: open, or blocked
    under time off. `candidates` are read after the specialist's slots; returns how many."""
    occupancy = Occupancy(specialist, since, until)
    new: list[Slot] = []
    for rule, interval in candidates:
        if occupancy.overlaps(interval):
            continue
        off = occupancy.time_off_at(interval)
        occupancy.add(interval)
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


def slot_remove_unbooked(*, slots: QuerySet[Slot]) -> None:
    """Remove the slots nobody holds: open ones, and ones only time off closed (left behind,
    deleting the time off would reopen them at a time no rule offers any more). One that a past
    or cancelled booking still points to stays as its history, retired: it holds no time."""
    slots = slots.filter(Q(status=Slot.Status.OPEN) | Q(status=Slot.Status.BLOCKED, time_off__isnull=False))
    slots.filter(bookings__isnull=False).update(status=Slot.Status.RETIRED, rule=None, time_off=None)
    slots.filter(bookings__isnull=True).delete()


def slot_withdraw(*, slot_ids: list[int]) -> None:
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


def _state(slot: Slot) -> dict[str, object]:
    """What the audit trail keeps of a slot a person added or deleted."""
    return {
        "specialist": slot.specialist_id,
        "visit_type": slot.visit_type_id,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "status": slot.status,
    }


@transaction.atomic
def slot_add(
    *, specialist: Specialist, visit_type: VisitType, start: dt.datetime, by: User | None = None
) -> Slot:
    """A single slot, by hand. `by` is who asked (the audit trail's actor)."""
    specialist = lock_specialist(specialist)
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
    check_offered(specialist, visit_type)
    interval = Interval(start, start + visit_type.duration)
    occupancy = Occupancy(specialist, interval.start, interval.end)
    if occupancy.overlaps(interval):
        raise Conflict("The slot overlaps another slot.", code="slot_overlaps")
    if occupancy.time_off_at(interval):
        raise Conflict("The slot falls in time off.", code="slot_in_time_off")
    slot = Slot.objects.create(
        specialist=specialist, visit_type=visit_type, start=interval.start, end=interval.end
    )
    audit_event_record(actor=by, action="slot.added", obj=slot, before=None, after=_state(slot))
    return slot


@transaction.atomic
def slot_delete(*, slot: Slot, by: User | None = None) -> None:
    """Remove a slot nobody holds (one a past or cancelled visit points to retires instead)."""
    lock_specialist(slot.specialist)
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.status == Slot.Status.BOOKED:
        raise Conflict("The slot is booked; cancel the booking first.", code="slot_booked")
    if slot.status == Slot.Status.HELD:
        # Offered to a waitlisted patient, who may be claiming it right now: as good as booked.
        raise Conflict("The slot is held for a patient on the waitlist.", code="slot_booked")
    before = _state(slot)
    slot_remove_unbooked(slots=Slot.objects.filter(pk=slot.pk))
    kept = Slot.objects.filter(pk=slot.pk).values_list("status", flat=True).first()
    after = {**before, "status": kept} if kept is not None else None
    audit_event_record(actor=by, action="slot.deleted", obj=slot, before=before, after=after)


# --- Claiming and releasing -------------------------------------------------------------------

SLOT_UNAVAILABLE = gettext_noop("This slot is no longer available.")


def slot_unavailable() -> Conflict:
    """The refusal of a slot someone else holds (409 `slot_unavailable`)."""
    detail = gettext(SLOT_UNAVAILABLE)  # in the language of whoever asked
    return Conflict(detail, code="slot_unavailable", fields={"slot": [detail]})


def slot_claim(*, patient: Patient, slot_id: int, now: dt.datetime) -> tuple[Slot, SlotFacts]:
    """Book the slot if, and only if, it is still open (of racing transactions exactly one wins:
    the conditional UPDATE of scheduling.sql.claim), with what the booking policies test about
    it; a refusal if it is not there or not open. The policies are the caller's to test after
    the claim: a refusal raises, and the caller's transaction rolls the claim back with the rest."""
    claimed = sql.claim(slot_id, patient=patient, now=now)
    if claimed is None:
        if not Slot.objects.filter(pk=slot_id).exists():
            raise InvalidInput("No such slot.", fields={"slot": ["No such slot."]})
        raise slot_unavailable()
    return claimed


def slot_release(*, slot: Slot, time_off: TimeOff | None = None) -> None:
    """Give the slot of a cancelled or moved visit back: open again, unless time off now covers
    it (blocked), or its availability was withdrawn while it was booked (retired).

    It runs inside the cancel's or reschedule's transaction, which locked the slot's row with the
    booking's, so a receiver of `slot_freed` (sent only when the slot opens again) writes with that
    change or not at all.
    """
    if time_off is not None:
        status = Slot.Status.BLOCKED
    elif slot.withdrawn:
        status = Slot.Status.RETIRED
    else:
        status = Slot.Status.OPEN
    Slot.objects.filter(pk=slot.pk).update(status=status, time_off=time_off)
    slot.status, slot.time_off = status, time_off
    if status == Slot.Status.OPEN:
        slot_freed.send(sender=Slot, slot=slot)


# --- Holding for the waitlist ------------------------------------------------------------------


def slot_hold(*, slot: Slot) -> bool:
    """Hold an open slot for a waitlist offer (out of every search; only the offer's patient can
    claim it): True if it was open and is now held."""
    held = Slot.objects.filter(pk=slot.pk, status=Slot.Status.OPEN).update(status=Slot.Status.HELD)
    if held:
        slot.status = Slot.Status.HELD
    return bool(held)


def slot_unhold(*, slot: Slot) -> None:
    """Give back a held slot nobody on the waitlist took: open again, or retired if its rule
    withdrew it while it was held. Nothing is announced: the waitlist already had its turn."""
    # Decided on the row as it stands: a rule edit may have withdrawn it since it was read.
    Slot.objects.filter(pk=slot.pk, status=Slot.Status.HELD).update(
        status=Case(When(withdrawn=True, then=Value(Slot.Status.RETIRED)), default=Value(Slot.Status.OPEN))
    )
    slot.refresh_from_db(fields=["status", "withdrawn"])


# --- Time off ---------------------------------------------------------------------------------


def slot_block(*, time_off: TimeOff) -> None:
    """Close the open slots the time off touches, even in part.

    Time off calls it twice: before it reads the confirmed bookings under it (so a booking
    claiming one of them concurrently either committed first, and the read sees it, or finds it
    blocked), and again once it holds their locks (a cancel or reschedule that committed while
    it waited released its slot as open after the first pass).
    """
    touching = Slot.objects.filter(
        specialist_id=time_off.specialist_id, start__lt=time_off.end, end__gt=time_off.start
    )
    # A held slot's offer was withdrawn by the caller first (scheduling.services.offers).
    touching.filter(status__in=[Slot.Status.OPEN, Slot.Status.HELD]).update(
        status=Slot.Status.BLOCKED, time_off=time_off
    )


def slot_unblock(*, time_off: TimeOff) -> None:
    """Reopen the future slots the time off closed, before it goes, unless other time off still
    covers them (they pass to it) or their availability was withdrawn (they retire). Three
    statements, however many slots; the past slots it closed stay closed."""
    cover = (
        TimeOff.objects.filter(
            specialist_id=time_off.specialist_id, start__lt=OuterRef("end"), end__gt=OuterRef("start")
        )
        .exclude(pk=time_off.pk)
        .order_by("start", "pk")
        .values("pk")[:1]
    )
    closed = time_off.slots.filter(status=Slot.Status.BLOCKED)
    closed.filter(Exists(cover)).update(time_off=Subquery(cover))
    closed.filter(withdrawn=True).update(status=Slot.Status.RETIRED, time_off=None)
    closed.filter(start__gt=timezone.now()).update(status=Slot.Status.OPEN, time_off=None)
