"""Time off: an interval in which a specialist sees nobody. It closes the slots it touches
(withdrawing the waitlist offers that hold any), and refuses, or cancels on request, the
confirmed visits that fall in it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass

from django.db import transaction

from clinic.models import Specialist, User
from core.audit import audit_event_record
from core.errors import Conflict, InvalidInput
from scheduling.models import Booking, Slot, TimeOff
from scheduling.services.bookings import booking_cancel_for_time_off
from scheduling.services.idempotency import idempotency_key_record, idempotency_key_replay
from scheduling.services.offers import offers_withdraw_for_time_off
from scheduling.services.slots import lock_specialist, slot_block, slot_unblock


def _state(off: TimeOff) -> dict[str, object]:
    """What the audit trail keeps of time off: when, never why (its reason may be personal)."""
    return {"specialist": off.specialist_id, "start": off.start.isoformat(), "end": off.end.isoformat()}


@dataclass(frozen=True)
class TimeOffResult:
    time_off: TimeOff
    replayed: bool = False


def _request_hash(start: dt.datetime, end: dt.datetime, reason: str) -> str:
    # Named "time_off" so that a booking's request never hashes the same.
    body = json.dumps({"time_off": [start.isoformat(), end.isoformat(), reason]}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


@transaction.atomic
def time_off_create(
    *,
    specialist: Specialist,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    cancel_conflicting: bool = False,
    expected: Collection[int] | None = None,
    by: User | None = None,
    idempotency_key: str | None = None,
) -> TimeOffResult:
    """Close every slot the interval touches; refuse if confirmed bookings fall in it, unless
    `cancel_conflicting`. With `expected` (the ids of the bookings the person was shown), it
    cancels only if those are exactly the bookings in it, and refuses otherwise, naming them:
    a visit booked while they decided is shown to them, never cancelled unseen.

    Open slots are blocked *before* the bookings are read: a booking claiming one of them
    concurrently either committed first (and the read below sees it) or finds it blocked.
    `by` is who asked (the audit trail's actor of the cancellations); by default the specialist.
    With an idempotency key (the specialist's, as a booking's is the patient's), a repeat of the
    same time off returns the first (`replayed`), and the same key with other times raises
    `idempotency_key_reused`; a refusal stores nothing, so the key may try again.
    """
    if start >= end:
        raise InvalidInput("The start must be before the end.", fields={"end": ["Must be after start."]})
    specialist = lock_specialist(specialist)
    # Under the specialist's lock: a second submission waits for the first to commit, then
    # finds its key here.
    request_hash = _request_hash(start, end, reason)
    if idempotency_key and (
        replayed := idempotency_key_replay(
            user=specialist.user,
            key=idempotency_key,
            request_hash=request_hash,
            made=TimeOff,
            reused_message="This key was used with another request.",
        )
    ):
        return TimeOffResult(replayed, replayed=True)
    off = TimeOff.objects.create(specialist=specialist, start=start, end=end, reason=reason)
    by = by or specialist.user
    # Slots held for the waitlist are offered no more: their offers are withdrawn (locked
    # before the slots, as a claim locks them), then the slots blocked with the open ones.
    offers_withdraw_for_time_off(time_off=off, by=by)
    slot_block(time_off=off)
    touching = Slot.objects.filter(specialist=specialist, start__lt=end, end__gt=start)
    conflicting = list(
        Booking.objects.select_for_update()
        .filter(slot__in=touching, status=Booking.Status.CONFIRMED)
        .order_by("slot__start", "pk")
    )
    # A cancel or reschedule that committed while we waited for those locks released its slot
    # as open after our first pass (and may have offered it to the waitlist): close it too.
    offers_withdraw_for_time_off(time_off=off, by=by)
    slot_block(time_off=off)
    found = sorted(b.pk for b in conflicting)
    if conflicting and (not cancel_conflicting or (expected is not None and found != sorted(expected))):
        raise Conflict(
            "Confirmed bookings fall in this time off.",
            code="conflicting_bookings",
            bookings=found,
        )
    for booking in conflicting:
        booking_cancel_for_time_off(booking=booking, time_off=off, by=by)
    audit_event_record(
        actor=by,
        action="time_off.created",
        obj=off,
        before=None,
        after={**_state(off), "cancelled_bookings": [b.pk for b in conflicting]},
    )
    if idempotency_key:
        idempotency_key_record(user=specialist.user, key=idempotency_key, request_hash=request_hash, made=off)
    return TimeOffResult(off)


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, by: User | None = None) -> None:
    """Reopen the future slots it closed, unless other time off still covers them (a slot whose
    availability was withdrawn retires instead)."""
    lock_specialist(time_off.specialist)
    slot_unblock(time_off=time_off)
    audit_event_record(actor=by, action="time_off.deleted", obj=time_off, before=_state(time_off), after=None)
    time_off.delete()  # the past slots it closed stay closed
