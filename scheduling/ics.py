"""A booking as an iCalendar event. No PHI: no reason for visit, no specialty."""

from __future__ import annotations

from django.conf import settings
from icalendar import Calendar, Event

from scheduling.models import Booking


def booking_ics(booking: Booking) -> bytes:
    slot = booking.slot
    specialist = slot.specialist
    cal = Calendar()
    cal.add("prodid", "-//Neuro Clinic//Scheduling//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{booking.pk}@{settings.PUBLIC_BASE_URL.split('://')[-1]}")
    event.add("dtstamp", booking.created_at)
    event.add("dtstart", slot.start)
    event.add("dtend", slot.end)
    event.add("summary", f"Video visit with Dr. {specialist.user.last_name}")
    event.add("description", "Your video visit. Open the link in your reminder to join.")
    gone = booking.status in (Booking.Status.CANCELLED, Booking.Status.RESCHEDULED)
    event.add("status", "CANCELLED" if gone else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
