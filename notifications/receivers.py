"""The receivers of scheduling's `booking_changed` and clinic's `patient_contact_changed`,
`specialist_contact_changed` and caregiver signals: each runs inside the transaction of the
change it hears of."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from clinic.models import Caregiver, Patient, Specialist
from clinic.signals import (
    caregiver_added,
    caregiver_consented,
    caregiver_withdrawn,
    patient_contact_changed,
    specialist_contact_changed,
)
from notifications.services.offers import notifications_for_offer_change
from notifications.services.writing import (
    notifications_caregiver_consent_request,
    notifications_caregiver_consented,
    notifications_caregiver_withdrawn,
    notifications_follow_contact,
    notifications_follow_specialist,
    notifications_for_booking_change,
)
from scheduling.models import Booking, Offer
from scheduling.signals import booking_changed, offer_changed


@receiver(booking_changed, sender=Booking, dispatch_uid="notifications.booking_changed")
def write_notifications(
    sender: Any, booking: Booking, action: str, previous: Booking | None = None, **kwargs: Any
) -> None:
    notifications_for_booking_change(booking=booking, action=action, previous=previous)


@receiver(patient_contact_changed, sender=Patient, dispatch_uid="notifications.patient_contact_changed")
def follow_contact(sender: Any, patient: Patient, changed: frozenset[str], **kwargs: Any) -> None:
    notifications_follow_contact(patient=patient, changed=changed)


@receiver(
    specialist_contact_changed, sender=Specialist, dispatch_uid="notifications.specialist_contact_changed"
)
def follow_specialist_contact(sender: Any, specialist: Specialist, **kwargs: Any) -> None:
    notifications_follow_specialist(specialist=specialist)


@receiver(caregiver_added, sender=Caregiver, dispatch_uid="notifications.caregiver_added")
def ask_caregiver_consent(sender: Any, caregiver: Caregiver, **kwargs: Any) -> None:
    notifications_caregiver_consent_request(caregiver=caregiver)


@receiver(caregiver_consented, sender=Caregiver, dispatch_uid="notifications.caregiver_consented")
def write_caregiver_reminders(sender: Any, caregiver: Caregiver, channel: str, **kwargs: Any) -> None:
    notifications_caregiver_consented(caregiver=caregiver, channel=channel)


@receiver(caregiver_withdrawn, sender=Caregiver, dispatch_uid="notifications.caregiver_withdrawn")
def skip_caregiver_messages(sender: Any, caregiver: Caregiver, **kwargs: Any) -> None:
    notifications_caregiver_withdrawn(caregiver=caregiver)


@receiver(offer_changed, sender=Offer, dispatch_uid="notifications.offer_changed")
def write_offer_messages(sender: Any, offer: Offer, action: str, **kwargs: Any) -> None:
    notifications_for_offer_change(offer=offer, action=action)
