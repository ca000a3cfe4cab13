"""Bookings: create, cancel, reschedule, complete, no-show, each one atomic.

No double booking, on any backend: a slot is claimed with a conditional UPDATE
(`... WHERE status = 'open'`), which only one transaction can win, and the partial unique index
`one_confirmed_booking_per_slot` refuses a second confirmed booking should any path forget the
claim. Every path that makes a booking confirmed goes through the slots service's `slot_claim`,
which also reads what the booking policies test.

Every state change also writes an audit event in its transaction: who, what, before, after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinic import sql as clinic_sql
from clinic.models import Patient, User
from core import rows
from core.audit import audit_event_record
from core.errors import Conflict, Forbidden, InvalidInput
from core.permissions import is_admin
from scheduling import video
from scheduling.models import Booking, Slot, TimeOff
from scheduling.services.idempotency import idempotency_key_record, idempotency_key_replay
from scheduling.services.slots import slot_claim, slot_release, slot_unavailable
from scheduling.signals import BookingAction, booking_changed
from scheduling.sql import SlotFacts


# The refusals a patient meets on the pages speak the page's language (the API's, its caller's
# Accept-Language); their codes stay the same in every language.
def _policy(detail: str, code: str) -> InvalidInput:
    return InvalidInput(detail, code=code, fields={"slot": [detail]})


def _lock_patient(user: User) -> Patient:
    # The patient's row, locked, so that one patient's bookings go one at a time: two parallel
    # requests cannot both pass the cap, and a repeated Idempotency-Key waits for the first
    # request and then replays it. A statement of its own, before the reads it guards: under READ
    # COMMITTED a statement sees the data as of its start, so a count read by the locking
    # statement itself would miss the booking committed while it waited for the lock.
    patient = clinic_sql.patient_lock(user.pk)
    if patient is None:
        raise Forbidden("Only patients can book.")
    patient.user = user
    return patient


def _has_completed_visit(patient: Patient, specialist_id: int) -> bool:
    return Booking.objects.filter(
        patient=patient, slot__specialist_id=specialist_id, status=Booking.Status.COMPLETED
    ).exists()


def _check_policies(
    patient: Patient, slot: Slot, facts: SlotFacts, now: dt.datetime, *, replacing: Booking | None
) -> None:
    if not facts.specialist_active or not facts.offered:
        raise slot_unavailable()
    if slot.start < now + dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES):
        raise _policy(
            gettext("Visits must be booked at least %(minutes)d minutes ahead.")
            % {"minutes": settings.MIN_NOTICE_MINUTES},
            "too_soon",
        )
    if slot.start >= now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise _policy(
            gettext("Visits can be booked at most %(days)d days ahead.")
            % {"days": settings.BOOKING_HORIZON_DAYS},
            "too_far_ahead",
        )
    if not facts.licensed:
        raise _policy(
            gettext("The specialist is not licensed in your state on that date."), "not_licensed_in_state"
        )
    same_specialist = replacing is not None and replacing.slot.specialist_id == slot.specialist_id
    if not facts.new_patient_visit:  # a follow-up
        if not (same_specialist or _has_completed_visit(patient, slot.specialist_id)):
            raise _policy(
                gettext("A follow-up needs a completed earlier visit with this specialist."),
                "follow_up_requires_prior_visit",
            )
    elif (
        not facts.specialist_accepting
        and not same_specialist
        and not _has_completed_visit(patient, slot.specialist_id)
    ):
        raise _policy(gettext("This specialist is not accepting new patients."), "not_accepting_new_patients")
    if replacing is None and facts.patient_upcoming >= settings.MAX_ACTIVE_BOOKINGS:
        raise _policy(
            gettext("At most %(count)d upcoming visits at a time.") % {"count": settings.MAX_ACTIVE_BOOKINGS},
            "too_many_active_bookings",
        )


def _insert_confirmed(**fields: object) -> Booking:
    """A new confirmed booking and its video room, stored together."""
    booking = Booking(status=Booking.Status.CONFIRMED, **fields)
    visit = video.video_visit_new(booking=booking)
    # No savepoint (two round trips saved): every caller runs inside its own transaction and
    # lets the Conflict roll all of it back, so nothing needs to survive the failed INSERT.
    try:
        with transaction.atomic(savepoint=False):
            return rows.insert_linked(booking, visit, link="booking")
    except IntegrityError as exc:  # the partial unique index: another confirmed booking holds it
        raise slot_unavailable() from exc


def _state(booking: Booking, **extra: Any) -> dict[str, Any]:
    """What the audit trail keeps of a booking: its status and slot, never its reason (PHI)."""
    return {"status": booking.status, "slot": booking.slot_id, **extra}


def _audit(
    by: User | None, action: BookingAction, booking: Booking, before: dict[str, Any] | None, **extra: Any
) -> None:
    audit_event_record(
        actor=by, action=f"booking.{action}", obj=booking, before=before, after=_state(booking, **extra)
    )


def _request_hash(slot_id: int, reason: str) -> str:
    body = json.dumps({"slot": slot_id, "reason": reason}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    replayed: bool = False


def _replay(user: User, key: str, request_hash: str) -> BookingResult | None:
    booking = idempotency_key_replay(
        user=user,
        key=key,
        request_hash=request_hash,
        made=Booking,
        reused_message="This Idempotency-Key was used with another request.",
    )
    return BookingResult(booking, replayed=True) if booking is not None else None


def booking_create(
    *,
    user: User,
    slot_id: int,
    reason: str = "",
    idempotency_key: str | None = None,
    patient: int | None = None,
) -> BookingResult:
    """Book a slot for the patient `user`, or, when `user` is an admin, for the patient whose
    user id is `patient` (the clinic booking for someone who called): the same claim, policies
    and messages, with the admin in the audit trail. With an idempotency key, a repeat returns
    the first booking."""
    patient_user = _booked_for(user, patient)
    request_hash = _request_hash(slot_id, reason)
    try:
        return _booking_create(patient_user, user, slot_id, reason, idempotency_key, request_hash)
    except IntegrityError:
        # Two requests with one key raced: the loser's transaction rolled back whole (its
        # claim included); answer it with the winner's booking.
        if idempotency_key and (found := _replay(patient_user, idempotency_key, request_hash)):
            return found
        raise


def _booked_for(user: User, patient: int | None) -> User:
    """The user of the patient a booking is for: the caller, or the patient an admin names."""
    if not is_admin(user):
        if patient is not None and patient != user.pk:
            raise InvalidInput(
                "Only the clinic books for another patient.",
                fields={"patient": ["Only the clinic books for another patient."]},
            )
        return user
    if patient is None:
        raise InvalidInput(
            "Name the patient to book for.", fields={"patient": ["Name the patient to book for."]}
        )
    found = User.objects.filter(pk=patient, patient__isnull=False).first()
    if found is None:
        raise InvalidInput("No such patient.", fields={"patient": ["No such patient."]})
    return found


@transaction.atomic
def _booking_create(
    user: User, by: User, slot_id: int, reason: str, idempotency_key: str | None, request_hash: str
) -> BookingResult:
    patient = _lock_patient(user)
    if idempotency_key and (found := _replay(user, idempotency_key, request_hash)):
        return found
    booking = booking_confirm(patient=patient, slot_id=slot_id, reason=reason, by=by)
    if idempotency_key:
        idempotency_key_record(
            user=patient.user, key=idempotency_key, request_hash=request_hash, made=booking
        )
    return BookingResult(booking)


def booking_confirm(*, patient: Patient, slot_id: int, reason: str, by: User | None) -> Booking:
    """The one way a new booking is made (`booking_create`, a waitlist offer's claim): claim the
    slot, test the policies, write the booking and its video room, announce it. It runs in the
    caller's transaction, which has locked the patient's row (`clinic.sql.patient_lock`)."""
    now = timezone.now()
    slot, facts = slot_claim(patient=patient, slot_id=slot_id, now=now)
    _check_policies(patient, slot, facts, now, replacing=None)
    booking = _insert_confirmed(patient=patient, slot=slot, reason=reason)
    booking_changed.send(sender=Booking, booking=booking, action=BookingAction.CONFIRMED, previous=None)
    _audit(by, BookingAction.CONFIRMED, booking, None)
    return booking


def _actor(user: User) -> str:
    if user.role == User.Role.PATIENT:
        return Booking.Actor.PATIENT
    if user.role == User.Role.SPECIALIST:
        return Booking.Actor.SPECIALIST
    return Booking.Actor.ADMIN


def _lock_confirmed(booking: Booking) -> Booking:
    locked = Booking.objects.select_for_update().select_related("slot", "patient").get(pk=booking.pk)
    if locked.status != Booking.Status.CONFIRMED:
        raise Conflict(f"The booking is {locked.status}.", code="booking_not_confirmed")
    return locked


def booking_within_cancellation_window(*, booking: Booking, now: dt.datetime | None = None) -> bool:
    """Whether the visit starts within CANCELLATION_WINDOW_HOURS of `now` (by default, the
    present): a patient then calls the clinic to cancel or move it, instead of doing it online.
    The one rule behind this service's refusal, the visit page's offer and the `2` reply's answer."""
    if now is None:
        now = timezone.now()
    return booking.slot.start - now < dt.timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)


def _check_patient_window(booking: Booking, by: User, now: dt.datetime) -> None:
    if _actor(by) == Booking.Actor.PATIENT and booking_within_cancellation_window(booking=booking, now=now):
        raise Conflict(
            gettext(
                "Visits can be changed online up to %(hours)d hours before the start; please call the clinic."
            )
            % {"hours": settings.CANCELLATION_WINDOW_HOURS},
            code="cancellation_window_closed",
        )


def _mark_cancelled(booking: Booking, *, actor: str, reason: str, now: dt.datetime) -> None:
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = actor
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])


@transaction.atomic
def booking_cancel(*, booking: Booking, by: User, reason: str = "") -> Booking:
    booking = _lock_confirmed(booking)
    now = timezone.now()
    _check_patient_window(booking, by, now)
    before = _state(booking)
    _mark_cancelled(booking, actor=_actor(by), reason=reason, now=now)
    slot_release(slot=booking.slot)
    booking_changed.send(sender=Booking, booking=booking, action=BookingAction.CANCELLED, previous=None)
    _audit(by, BookingAction.CANCELLED, booking, before, cancelled_by=booking.cancelled_by)
    return booking


@transaction.atomic
def booking_cancel_for_time_off(*, booking: Booking, time_off: TimeOff, by: User | None) -> Booking:
    """Cancel a booking that time off displaces; its slot stays closed under the time off."""
    booking = _lock_confirmed(booking)
    before = _state(booking)
    _mark_cancelled(
        booking,
        actor=Booking.Actor.SPECIALIST,
        reason="The specialist is unavailable.",
        now=timezone.now(),
    )
    slot_release(slot=booking.slot, time_off=time_off)
    booking_changed.send(sender=Booking, booking=booking, action=BookingAction.CANCELLED, previous=None)
    _audit(
        by, BookingAction.CANCELLED, booking, before, cancelled_by=booking.cancelled_by, time_off=time_off.pk
    )
    return booking


@transaction.atomic
def booking_reschedule(*, booking: Booking, slot_id: int, by: User) -> Booking:
    """Move a visit to another slot: the new slot is claimed and the old one reopens, or
    nothing changes."""
    old = _lock_confirmed(booking)
    now = timezone.now()
    _check_patient_window(old, by, now)
    slot, facts = slot_claim(patient=old.patient, slot_id=slot_id, now=now)
    if _actor(by) == Booking.Actor.SPECIALIST and slot.specialist_id != old.slot.specialist_id:
        # A specialist moves visits within their own schedule only; another's slot reads as
        # no slot at all, and the claim rolls back with the refusal.
        raise InvalidInput("No such slot.", fields={"slot": ["No such slot."]})
    _check_policies(old.patient, slot, facts, now, replacing=old)
    before = _state(old)
    old.status = Booking.Status.RESCHEDULED
    old.save(update_fields=["status", "updated_at"])
    slot_release(slot=old.slot)
    new = _insert_confirmed(patient=old.patient, slot=slot, reason=old.reason, rescheduled_from=old)
    booking_changed.send(sender=Booking, booking=new, action=BookingAction.RESCHEDULED, previous=old)
    _audit(by, BookingAction.RESCHEDULED, old, before, rescheduled_to=new.pk)
    _audit(by, BookingAction.CONFIRMED, new, None, rescheduled_from=old.pk)
    return new


def _finish(booking: Booking, by: User, status: str, action: BookingAction) -> Booking:
    with transaction.atomic():
        booking = _lock_confirmed(booking)
        if timezone.now() < booking.slot.start:
            raise Conflict("The visit has not started yet.", code="not_started")
        before = _state(booking)
        booking.status = status
        booking.save(update_fields=["status", "updated_at"])
        booking_changed.send(sender=Booking, booking=booking, action=action, previous=None)
        _audit(by, action, booking, before)
    return booking


def booking_complete(*, booking: Booking, by: User) -> Booking:
    return _finish(booking, by, Booking.Status.COMPLETED, BookingAction.COMPLETED)


def booking_no_show(*, booking: Booking, by: User) -> Booking:
    return _finish(booking, by, Booking.Status.NO_SHOW, BookingAction.NO_SHOW)


def booking_confirm_attendance(*, booking: Booking, by: User | None) -> Booking:
    """The patient says they will attend (on the page, or by replying `1` to a reminder: `by`
    None, the patient's phone speaking). A second confirmation keeps the first one's time."""
    with transaction.atomic():
        booking = _lock_confirmed(booking)
        if booking.attendance_confirmed_at is None:
            booking.attendance_confirmed_at = timezone.now()
            booking.save(update_fields=["attendance_confirmed_at", "updated_at"])
            audit_event_record(
                actor=by,
                action="booking.attendance_confirmed",
                obj=booking,
                before=None,
                after=_state(booking, via="page" if by is not None else "sms"),
            )
    return booking


def booking_reasons_read(*, by: User, bookings: Iterable[Booking]) -> None:
    """Record that `by` was shown the reasons of these visits: one event per request, naming
    the bookings (API.md), whose object is the first of them. A patient reading their own, and
    a booking with no reason, leave nothing."""
    shown = sorted((b for b in bookings if b.reason and b.patient_id != by.pk), key=lambda b: b.pk)
    if shown:
        audit_event_record(
            actor=by,
            action="booking.reason_read",
            obj=shown[0],
            before=None,
            after={"bookings": [b.pk for b in shown]},
        )
