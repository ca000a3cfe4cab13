"""The receivers of scheduling's `booking_changed` and clinic's `patient_contact_changed`: each
runs inside the transaction of the change it hears of."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from clinic.models import Patient
from clinic.signals import patient_contact_changed
from notifications.services.writing import notifications_follow_contact, notifications_for_booking_change
from scheduling.models import Booking
from scheduling.signals import booking_changed


@receiver(booking_changed, sender=Booking, dispatch_uid="notifications.booking_changed")
def write_notifications(
    sender: Any, booking: Booking, action: str, previous: Booking | None = None, **kwargs: Any
) -> None:
    notifications_for_booking_change(booking=booking, action=action, previous=previous)


@receiver(patient_contact_changed, sender=Patient, dispatch_uid="notifications.patient_contact_changed")
def follow_contact(sender: Any, patient: Patient, changed: frozenset[str], **kwargs: Any) -> None:
    notifications_follow_contact(patient=patient, changed=changed)
