"""Waitlist offers: a freed slot is held for the first waiting entry it fits (the entries are
`scheduling.services.waitlist`'s), which claims it with one tap or lets it pass to the next.

- `waitlist_match`: the first waiting entry a slot fits.
- `offer_withdraw`, `offer_pass_on`: an entry left while its offer was open.
- `offer_slot_freed`: the receiver of `slot_freed` (connected in `SchedulingConfig.ready`), so
  only the slots of cancelled and moved visits are offered, never new hours.
- `offer_claim` (the same claim and policies as `booking_create`: `booking_confirm`),
  `offer_decline`, `offers_lapse_due` (the beat task), `offers_withdraw_for_time_off`, and
  `offer_hold_from` (for the notifications app: a hold starts when a held-back message is sent).

Fit, in order of cost: the entry waits for the slot's specialty, in a state where its specialist
is licensed on the visit date, for that specialist and visit type if it names them, between its
dates (the patient's calendar dates), and, for a follow-up or a new-patient visit of a
specialist taking no new patients, its patient has completed a visit with the specialist; then,
per candidate: the patient has not been offered this slot before nor booked it, and the
active-booking cap (upcoming visits and slots held for the patient count). The first such entry
by `created_at` gets the offer: the conditions and the facts the per-patient rules need are one
statement per batch of candidates (`scheduling.sql.waitlist_candidates`), the rules then tested
here.

Every change sends `offer_changed` in its transaction (the notifications app writes the offer's
messages from it) and writes an audit event. Lock order, everywhere: the offer, then the
patient, then the slot; time off takes its open offers before it blocks their slots.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic import sql as clinic_sql
from clinic.models import StateLicense, User
from core.audit import audit_event_record
from core.errors import Gone, NotFound
from core.signed_links import token_hash
from scheduling import offers, sql
from scheduling.models import Booking, Offer, Slot, TimeOff, WaitlistEntry
from scheduling.services.bookings import booking_confirm
from scheduling.services.slots import slot_hold, slot_unhold
from scheduling.signals import OfferAction, offer_changed

# How many candidates are read per round trip: the first usually fits, and a batch keeps a long
# run of entries that do not to a few statements.
BATCH = 20


def _hold() -> dt.timedelta:
    return dt.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)


def _offer_state(offer: Offer) -> dict[str, Any]:
    return {
        "entry": offer.entry_id,
        "slot": offer.slot_id,
        "patient": offer.patient_id,
        "status": offer.status,
        "expires_at": offer.expires_at.isoformat(),
        "booking": offer.booking_id,
    }


# --- Matching ---------------------------------------------------------------------------------


def _offerable(slot: Slot, now: dt.datetime) -> bool:
    """A slot is offered only if its patient could still book it once the hold has run out, and
    only while its specialist still offers that time (a rule edit withdraws a held slot, which
    then retires instead of passing on)."""
    notice = dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES)
    horizon = now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS)
    return not slot.withdrawn and now + notice + _hold() <= slot.start < horizon


def _pairs(slot: Slot) -> list[tuple[int, str]]:
    """The (specialty, state) pairs whose entries the slot could serve: the specialist's
    specialties, and the states where they are licensed on the visit date (UTC, as the claim
    tests it); none if the specialist is inactive or no longer offers the slot's visit type."""
    day = slot.start.astimezone(dt.UTC).date()
    licensed = StateLicense.objects.filter(
        specialist=slot.specialist_id,
        specialist__is_active=True,
        specialist__visit_types=slot.visit_type_id,
        expires_on__gte=day,
        specialist__specialties__isnull=False,
    )
    return list(licensed.values_list("specialist__specialties", "state").order_by())


def _fits(candidate: sql.WaitlistCandidate, slot: Slot) -> bool:
    """The per-patient rules: not offered nor booked this slot before, the dates in the
    patient's own zone, and the active-booking cap (slots held for the patient count). The
    follow-up and new-patient rules are the statement's (`returning_only`)."""
    if candidate.had_slot:
        return False  # offered it before (declined, lapsed), or the one who just gave it up
    local = slot.start.astimezone(ZoneInfo(candidate.patient_timezone)).date()
    if (candidate.earliest and local < candidate.earliest) or (candidate.latest and local > candidate.latest):
        return False
    return candidate.upcoming + candidate.held < settings.MAX_ACTIVE_BOOKINGS


def waitlist_match(*, slot: Slot, now: dt.datetime | None = None) -> WaitlistEntry | None:
    """The first waiting entry the slot fits, or None: the cheap conditions and the facts of
    the per-patient rules in one statement per batch of candidates (scheduling.sql)."""
    now = now or timezone.now()
    pairs = _pairs(slot)
    # A follow-up, or a new-patient visit of a specialist taking no new patients, is only for
    # a patient who has completed a visit with them: the statement keeps no one else.
    returning_only = not slot.visit_type.new_patient or not slot.specialist.accepting_new_patients
    after = None
    while batch := sql.waitlist_candidates(
        slot=slot, pairs=pairs, now=now, after=after, limit=BATCH, returning_only=returning_only
    ):
        for candidate in batch:
            if _fits(candidate, slot):
                return WaitlistEntry.objects.get(pk=candidate.id)
        after = (batch[-1].created_at, batch[-1].id)
    return None


# --- Offers -----------------------------------------------------------------------------------


def _make(entry: WaitlistEntry, slot: Slot, now: dt.datetime) -> Offer:
    """The offer of a held slot to an entry already marked offered (`_take`)."""
    nonce, digest = offers.offer_key()
    offer = Offer.objects.create(
        entry=entry,
        slot=slot,
        patient_id=entry.patient_id,
        expires_at=now + _hold(),
        nonce=nonce,
        token_sha256=digest,
    )
    offer_changed.send(sender=Offer, offer=offer, action=OfferAction.MADE)
    audit_event_record(actor=None, action="offer.made", obj=offer, before=None, after=_offer_state(offer))
    return offer


# Two cancellations at once may both find the same first entry: the first to mark it offered
# takes it, and the other, whose conditional UPDATE waits for that commit and then finds it no
# longer waiting, matches again (each statement sees what committed before it).
ATTEMPTS = 3


def _take(slot: Slot, now: dt.datetime) -> WaitlistEntry | None:
    """The first waiting entry the slot fits, marked offered, or None."""
    for _ in range(ATTEMPTS):
        entry = waitlist_match(slot=slot, now=now)
        if entry is None:
            return None
        waiting = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING)
        if waiting.update(status=WaitlistEntry.Status.OFFERED):
            entry.status = WaitlistEntry.Status.OFFERED
            return entry
    return None


def _pass_on(slot: Slot, now: dt.datetime) -> Offer | None:
    """Offer the slot (open, or held by an offer just closed) to the next entry it fits; give it
    back if there is none, or if it starts too soon now. The caller holds the slot's row (the
    cancel's lock, or the closed offer's held slot)."""
    slot = Slot.objects.select_related("specialist", "visit_type").get(pk=slot.pk)
    if slot.status not in (Slot.Status.OPEN, Slot.Status.HELD):
        return None  # booked, blocked or retired meanwhile: nothing to offer
    entry = _take(slot, now) if _offerable(slot, now) else None
    if entry is None:
        if slot.status == Slot.Status.HELD:
            slot_unhold(slot=slot)
        return None
    # An open slot is the cancel's, whose lock it holds, so the hold cannot miss. Held only
    # once an entry is taken: a slot nobody takes is written once, by its release.
    if slot.status == Slot.Status.OPEN:
        slot_hold(slot=slot)
    return _make(entry, slot, now)


def offer_slot_freed(*, slot: Slot, **kwargs: Any) -> Offer | None:
    """`slot_freed`'s receiver: a cancelled or moved visit's slot, open again, goes to the first
    waiting entry it fits. It runs in the cancel's transaction, which holds the slot's row."""
    return _pass_on(slot, timezone.now())


def _close(
    offer: Offer,
    status: str,
    action: OfferAction,
    *,
    by: User | None,
    entry_status: str | None = WaitlistEntry.Status.WAITING,
    now: dt.datetime | None = None,
) -> None:
    """Close an open offer (locked by the caller); its entry goes back to `entry_status` (None:
    the caller sets it)."""
    before = _offer_state(offer)
    offer.status = status
    offer.closed_at = now or timezone.now()
    offer.save(update_fields=["status", "closed_at", "booking"])
    if entry_status is not None:
        WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistEntry.Status.OFFERED).update(
            status=entry_status
        )
    offer_changed.send(sender=Offer, offer=offer, action=action)
    audit_event_record(
        actor=by, action=f"offer.{action}", obj=offer, before=before, after=_offer_state(offer)
    )


def _lock_open(token: str, now: dt.datetime) -> Offer:
    """The token's offer, locked (its row only: the slot is locked by the claim after the
    patient, in the module's order, so a booking of the same slot by the same patient cannot
    deadlock with it); 404 for no offer, 410 `offer_closed` unless it is open and unexpired."""
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("slot__specialist", "slot__visit_type", "entry", "patient__user")
        .filter(token_sha256=token_hash(token))
        .first()
    )
    if offer is None:
        raise NotFound("No such offer.")
    if offer.status != Offer.Status.OPEN or now >= offer.expires_at:
        raise Gone("This offer is closed.", code="offer_closed")
    return offer


@transaction.atomic
def offer_claim(*, token: str, reason: str = "") -> Booking:
    """Book the held slot for the offer's patient: the same claim and policies as any booking
    (`booking_confirm`), whose SQL lets a held slot go to this patient only, and only before
    the offer expires by the database's clock. A closed offer: 410 `offer_closed`."""
    now = timezone.now()
    offer = _lock_open(token, now)
    patient = clinic_sql.patient_lock(offer.patient_id)
    if patient is None:  # a patient is never deleted while an offer points to them (CASCADE)
        raise Gone("This offer is closed.", code="offer_closed")
    patient.user = offer.patient.user
    booking = booking_confirm(patient=patient, slot_id=offer.slot_id, reason=reason, by=patient.user)
    offer.booking = booking
    _close(offer, Offer.Status.CLAIMED, OfferAction.CLAIMED, by=patient.user, entry_status=None, now=now)
    WaitlistEntry.objects.filter(pk=offer.entry_id).update(status=WaitlistEntry.Status.BOOKED)
    return booking


@transaction.atomic
def offer_decline(*, token: str) -> Offer:
    """The patient does not want this slot: their entry waits on, and the slot goes to the next
    entry it fits."""
    now = timezone.now()
    offer = _lock_open(token, now)
    _close(offer, Offer.Status.DECLINED, OfferAction.DECLINED, by=offer.patient.user, now=now)
    _pass_on(offer.slot, now)
    return offer


def offers_lapse_due(*, now: dt.datetime | None = None) -> int:
    """The beat task's work: every open offer past its expiry lapses, and its slot passes on.
    One transaction per offer; an offer locked by its claim right now is skipped (the claim
    decides it). Safe to run twice. Returns how many lapsed."""
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status=Offer.Status.OPEN, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:500]
    )
    return sum(_lapse(pk, now) for pk in due)


@transaction.atomic
def _lapse(pk: int, now: dt.datetime) -> bool:
    offer = (
        Offer.objects.select_for_update(skip_locked=True)
        .select_related("slot")
        .filter(pk=pk, status=Offer.Status.OPEN, expires_at__lte=now)
        .first()
    )
    if offer is None:
        return False
    _close(offer, Offer.Status.LAPSED, OfferAction.LAPSED, by=None, now=now)
    _pass_on(offer.slot, now)
    return True


@transaction.atomic
def offer_hold_from(*, offer: Offer, sent_at: dt.datetime) -> Offer:
    """An offer made inside quiet hours starts its hold when its message is sent (DESIGN.md):
    the notifications app calls this once the offer's message went out. An open offer's expiry
    moves to `sent_at` + the hold, never earlier than it was; a closed one is left alone."""
    Offer.objects.filter(pk=offer.pk, status=Offer.Status.OPEN, expires_at__lt=sent_at + _hold()).update(
        expires_at=sent_at + _hold()
    )
    offer.refresh_from_db(fields=["expires_at", "status"])
    return offer


def offers_withdraw_for_time_off(*, time_off: TimeOff, by: User | None = None) -> None:
    """Time off over held slots withdraws their offers (their entries wait on); the caller then
    blocks the slots. It runs in the time off's transaction, and locks the offers before the
    slots, as a claim does."""
    touching = Slot.objects.filter(
        specialist_id=time_off.specialist_id, start__lt=time_off.end, end__gt=time_off.start
    )
    for offer in Offer.objects.select_for_update().filter(slot__in=touching, status=Offer.Status.OPEN):
        _close(offer, Offer.Status.WITHDRAWN, OfferAction.WITHDRAWN, by=by)


def offer_withdraw(*, offer: Offer, by: User | None) -> None:
    """The offer's entry left the waitlist: the offer ends `withdrawn` (the caller changes the
    entry); `offer_pass_on` then gives its slot to the next entry."""
    _close(offer, Offer.Status.WITHDRAWN, OfferAction.WITHDRAWN, by=by, entry_status=None)


def offer_pass_on(*, slot: Slot) -> Offer | None:
    """A held slot whose offer ended goes to the next waiting entry it fits, or opens again."""
    return _pass_on(slot, timezone.now())
