"""Scheduling's REST endpoints, one module per concept: availability, slots, bookings and the
join link (`schedule`); the waitlist and its offers (`waitlist`). The router (api/urls.py)
takes the views from here."""

from scheduling.api.schedule import (
    AvailabilityRuleViewSet,
    BookingCalendarView,
    BookingViewSet,
    SlotViewSet,
    TimeOffViewSet,
    VisitJoinView,
)
from scheduling.api.waitlist import (
    AdminOfferViewSet,
    OfferClaimView,
    OfferDeclineView,
    OfferView,
    WaitlistViewSet,
)

__all__ = [
    "AdminOfferViewSet",
    "AvailabilityRuleViewSet",
    "BookingCalendarView",
    "BookingViewSet",
    "OfferClaimView",
    "OfferDeclineView",
    "OfferView",
    "SlotViewSet",
    "TimeOffViewSet",
    "VisitJoinView",
    "WaitlistViewSet",
]
