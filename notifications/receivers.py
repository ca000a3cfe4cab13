"""The receiver of `booking_changed`: runs inside the booking's transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from notifications.services.writing import notifications_for_booking_change
from scheduling.models import Booking
from scheduling.signals import booking_changed


@receiver(booking_changed, sender=Booking, dispatch_uid="notifications.booking_changed")
def write_notifications(
    sender: Any, booking: Booking, action: str, previous: Booking | None = None, **kwargs: Any
) -> None:
    notifications_for_booking_change(booking=booking, action=action, previous=previous)
