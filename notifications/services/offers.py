"""The messages of a waitlist offer (scheduling's `offer_changed`, in its transaction).

A new offer is told to its patient by SMS and email, as they accept, with the one-tap link
(`offer:<id>` is the subject). An offer may wait out the patient's quiet hours, and its hold then
starts when the message is due (and again when it actually goes out: `offer_hold_from` only ever
extends it), so a patient asleep is not handed a lapsed link. Once the offer is claimed, declined,
lapsed or withdrawn, what has not gone out is cancelled; the send re-checks too.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from notifications import sql
from notifications.models import PATIENT, Notification, offer_subject
from notifications.quiet import quiet_send_at
from notifications.services.writing import recipients
from scheduling.models import Offer
from scheduling.services.offers import offer_hold_from
from scheduling.signals import OfferAction

Status = Notification.Status


def notifications_for_offer_change(*, offer: Offer, action: str) -> None:
    now = timezone.now()
    if action != OfferAction.MADE:
        Notification.objects.filter(
            subject=offer_subject(offer.pk), status__in=[Status.PENDING, Status.QUEUED]
        ).update(status=Status.CANCELLED, updated_at=now)
        return
    patient = offer.patient
    channels = recipients(patient)
    if not channels:
        return
    # The latest it may wait to: the slot must still be bookable when the hold ends.
    latest = offer.slot.start - dt.timedelta(
        minutes=settings.MIN_NOTICE_MINUTES + settings.WAITLIST_HOLD_MINUTES
    )
    send_at = max(now, quiet_send_at(due=now, zone=patient.timezone, latest=latest, now=now))
    if send_at > now:
        offer_hold_from(offer=offer, sent_at=send_at)
    sql.insert_pending(
        subject=offer_subject(offer.pk),
        audience=PATIENT,
        booking_id=None,
        messages=[(Notification.Kind.WAITLIST_OFFER, 0, send_at)],
        recipients=channels,
        now=now,
    )


def offer_latest(offer: Offer) -> dt.datetime:
    """The latest an offer's message may wait to: its slot must still be bookable when the hold
    that starts then ends."""
    return offer.slot.start - dt.timedelta(
        minutes=settings.MIN_NOTICE_MINUTES + settings.WAITLIST_HOLD_MINUTES
    )


def offer_of(subject: str) -> Offer | None:
    """The offer a message is about (`offer:<id>`), with what its message says."""
    _, _, pk = subject.partition(":")
    return (
        Offer.objects.select_related("patient__user", "slot__specialist__user", "slot__visit_type")
        .filter(pk=int(pk))
        .first()
    )
