"""The waitlist: a patient waits for a sooner visit (`waitlist_join`, `waitlist_leave`), and
`waitlist_expire_due` ends the entries whose last date passed. The offers a freed slot makes to
the entries, and their claim, are `scheduling.services.offers`'.

Every change writes an audit event. Lock order, everywhere: the offer, then the patient, then
the slot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.models import Patient, Specialist, Specialty, User, VisitType
from core.audit import audit_event_record
from core.errors import InvalidInput
from scheduling.models import Offer, WaitlistEntry
from scheduling.services.offers import offer_pass_on, offer_withdraw

ACTIVE = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)


def _entry_state(entry: WaitlistEntry) -> dict[str, Any]:
    """What the audit trail keeps of an entry (no PHI: what is waited for, not why)."""
    return {
        "patient": entry.patient_id,
        "specialty": entry.specialty_id,
        "state": entry.state,
        "specialist": entry.specialist_id,
        "visit_type": entry.visit_type_id,
        "earliest": entry.earliest.isoformat() if entry.earliest else None,
        "latest": entry.latest.isoformat() if entry.latest else None,
        "status": entry.status,
    }


def _local_today(patient: Patient, now: dt.datetime) -> dt.date:
    return now.astimezone(patient.timezone).date()


# --- Entries ----------------------------------------------------------------------------------


@transaction.atomic
def waitlist_join(
    *,
    patient: Patient,
    specialty: Specialty,
    state: str | None = None,
    specialist: Specialist | None = None,
    visit_type: VisitType | None = None,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    by: User | None = None,
) -> WaitlistEntry:
    """Put the patient on the waitlist of a specialty in a state (by default their own)."""
    if earliest is not None and latest is not None and earliest > latest:
        raise InvalidInput(
            "The earliest date is after the latest.", fields={"latest": ["Must not be before earliest."]}
        )
    if latest is not None and latest < _local_today(patient, timezone.now()):
        raise InvalidInput("The latest date has passed.", fields={"latest": ["In the past."]})
    if specialist is not None and not specialist.specialties.filter(pk=specialty.pk).exists():
        raise InvalidInput(
            "The specialist does not practise this specialty.",
            fields={"specialist": ["Not in this specialty."]},
        )
    entry = WaitlistEntry.objects.create(
        patient=patient,
        specialty=specialty,
        state=state or patient.state,
        specialist=specialist,
        visit_type=visit_type,
        earliest=earliest,
        latest=latest,
    )
    audit_event_record(
        actor=by or patient.user, action="waitlist.joined", obj=entry, before=None, after=_entry_state(entry)
    )
    return entry


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, by: User | None = None) -> WaitlistEntry:
    """Take the entry off the waitlist; a slot held for it passes to the next entry. Leaving an
    entry that no longer waits (booked, expired, left) changes nothing."""
    offer = Offer.objects.select_for_update().filter(entry=entry, status=Offer.Status.OPEN).first()
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status not in ACTIVE:
        return entry
    before = _entry_state(entry)
    if offer is not None:
        offer_withdraw(offer=offer, by=by)
    entry.status = WaitlistEntry.Status.LEFT
    entry.save(update_fields=["status"])
    audit_event_record(actor=by, action="waitlist.left", obj=entry, before=before, after=_entry_state(entry))
    if offer is not None:
        offer_pass_on(slot=offer.slot)
    return entry


def waitlist_expire_due(*, now: dt.datetime | None = None) -> int:
    """Entries whose `latest` date has passed in the patient's zone end `expired` (an offered one
    keeps its offer: its slot was inside the dates). Returns how many."""
    now = now or timezone.now()
    # A superset in SQL (no zone's date is more than a day ahead of UTC's), exact per patient.
    due = WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.WAITING, latest__lt=now.astimezone(dt.UTC).date() + dt.timedelta(days=2)
    ).select_related("patient")
    expired = [e.pk for e in due if e.latest is not None and e.latest < _local_today(e.patient, now)]
    return WaitlistEntry.objects.filter(pk__in=expired, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.EXPIRED
    )
