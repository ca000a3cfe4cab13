"""Scheduling's signals: a booking changed, and a slot came free.

Both are sent by the services *inside* their transaction, so that a receiver's writes commit or
roll back with the change. They let `scheduling` stay ignorant of `notifications` (and of any
later feature that listens).

`booking_changed`, sent by the booking services; the notifications app writes its rows here.
Arguments: `booking` (the booking now), `action` (one of `BookingAction`), `previous` (for a
reschedule, the booking it replaced).

`slot_freed`, sent by the slots service alone when the slot of a cancelled or rescheduled visit
goes back to open: only cancellations and reschedules offer slots, so new hours, horizon
extensions and time off ending send nothing, and neither does a slot that is blocked by time off
or retires instead of reopening. Argument: `slot` (the slot now, open). Nothing listens yet: it
is the point a waitlist will offer freed slots from.
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
slot_freed = Signal()
