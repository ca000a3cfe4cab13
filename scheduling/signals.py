"""The one signal of the design: a booking changed.

Sent by the booking services *inside* their transaction, so that a receiver's writes (the
notifications app writes its rows here) commit or roll back with the booking. It lets
`scheduling` stay ignorant of `notifications`.

Arguments: `booking` (the booking now), `action` (one of `BookingAction`), `previous` (for a
reschedule, the booking it replaced).
"""

from enum import StrEnum

from django.dispatch import Signal


class BookingAction(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


booking_changed = Signal()
