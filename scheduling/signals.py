"""Scheduling's signals: a booking changed, a slot came free, a waitlist offer changed.

Both are sent by the services *inside* their transaction, so that a receiver's writes commit or
roll back with the change. They let `scheduling` stay ignorant of `notifications` (and of any
later feature that listens).

`booking_changed`, sent by the booking services; the notifications app writes its rows here.
Arguments: `booking` (the booking now), `action` (one of `BookingAction`), `previous` (for a
reschedule, the booking it replaced).

`slot_freed`, sent by the slots service alone when the slot of a cancelled or rescheduled visit
goes back to open: only cancellations and reschedules offer slots, so new hours, horizon
extensions and time off ending send nothing, and neither does a slot that is blocked by time off
or retires instead of reopening. Argument: `slot` (the slot now, open). Scheduling's own
waitlist listens (connected in `SchedulingConfig.ready`): it offers the slot to the first
waiting entry it fits.

`offer_changed`, sent by the offers service (scheduling.services.offers); the notifications app
writes the `waitlist_offer` messages of a new offer here. Arguments: `offer` (the offer now) and
`action` (one of `OfferAction`). The offer's link is `scheduling.services.offers.offer_url_of`.
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


class OfferAction(StrEnum):
    MADE = "made"  # a slot is held for the entry: tell the patient
    CLAIMED = "claimed"
    DECLINED = "declined"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"  # time off over the slot, or the patient left the waitlist


offer_changed = Signal()
