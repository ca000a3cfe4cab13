"""The waitlist: who a freed slot is offered to, the hold, and what claiming, declining, lapsing
and time off do with it."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from clinic.models import Specialty
from core.errors import Conflict, Gone, InvalidInput
from scheduling import offers, selectors
from scheduling.models import Booking, Offer, Slot, WaitlistEntry
from scheduling.services import bookings, slots, time_off, waitlist
from scheduling.services.offers import offer_claim, offer_decline, offer_hold_from, offers_lapse_due
from scheduling.signals import offer_changed
from tests.factories import (
    BookingFactory,
    FollowUpFactory,
    PatientFactory,
    SlotFactory,
    SpecialistFactory,
    WaitlistEntryFactory,
)

pytestmark = pytest.mark.django_db


def in_days(days: float, hour: int = 15) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def free_a_slot(**slot) -> Slot:
    """Book a slot for someone, then cancel it: the way slots come free for the waitlist."""
    booking = BookingFactory(**{f"slot__{k}": v for k, v in slot.items()})
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    booking.slot.refresh_from_db()
    return booking.slot


def open_offer(slot: Slot) -> Offer | None:
    return Offer.objects.filter(slot=slot, status="open").first()


def token(offer: Offer) -> str:
    return offers.offer_token(offer)


# --- Who gets the offer -----------------------------------------------------------------------


def test_a_cancelled_slot_is_held_for_the_first_waiting_patient(settings):
    entry = WaitlistEntryFactory()
    before = timezone.now()
    slot = free_a_slot()
    offer = open_offer(slot)
    assert offer is not None and offer.entry == entry and offer.patient == entry.patient
    assert slot.status == Slot.Status.HELD
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    hold = dt.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)
    assert before + hold <= offer.expires_at <= timezone.now() + hold


def test_the_earliest_entry_is_offered_first():
    first, second = WaitlistEntryFactory(), WaitlistEntryFactory()
    assert open_offer(free_a_slot()).entry == first
    second.refresh_from_db()
    assert second.status == WaitlistEntry.Status.WAITING
    assert not Offer.objects.filter(entry=second).exists()


def test_an_entry_for_another_specialty_is_not_offered_the_slot():
    WaitlistEntryFactory(specialty=Specialty.objects.get(slug="epilepsy"))
    slot = free_a_slot()
    assert open_offer(slot) is None
    assert slot.status == Slot.Status.OPEN


def test_an_entry_in_a_state_the_specialist_is_not_licensed_in_is_passed_over():
    WaitlistEntryFactory(state="CA", patient__state="CA")
    fits = WaitlistEntryFactory()
    assert open_offer(free_a_slot()).entry == fits


def test_an_entry_naming_another_specialist_is_passed_over():
    WaitlistEntryFactory(specialist=SpecialistFactory())
    fits = WaitlistEntryFactory()
    assert open_offer(free_a_slot()).entry == fits


def test_an_entry_naming_another_visit_type_is_passed_over():
    WaitlistEntryFactory(visit_type=FollowUpFactory())
    fits = WaitlistEntryFactory()
    assert open_offer(free_a_slot()).entry == fits


def test_an_entry_whose_dates_exclude_the_visit_is_passed_over():
    start = in_days(5)
    WaitlistEntryFactory(latest=(start - dt.timedelta(days=2)).date())
    WaitlistEntryFactory(earliest=(start + dt.timedelta(days=2)).date())
    fits = WaitlistEntryFactory(earliest=start.date(), latest=start.date())
    assert open_offer(free_a_slot(start=start)).entry == fits


def test_a_follow_up_is_offered_only_to_a_patient_seen_before_by_the_specialist():
    specialist = SpecialistFactory()
    follow_up = specialist.visit_types.get(slug="follow-up")
    WaitlistEntryFactory()  # never seen by this specialist
    returning = WaitlistEntryFactory()
    BookingFactory(
        patient=returning.patient, slot__specialist=specialist, slot__start=in_days(-10), status="completed"
    )
    slot = free_a_slot(specialist=specialist, visit_type=follow_up)
    assert open_offer(slot).entry == returning


def test_a_new_patient_visit_of_a_specialist_not_accepting_goes_to_their_own_patient():
    specialist = SpecialistFactory(accepting_new_patients=False)
    WaitlistEntryFactory()
    returning = WaitlistEntryFactory()
    BookingFactory(
        patient=returning.patient, slot__specialist=specialist, slot__start=in_days(-10), status="completed"
    )
    assert open_offer(free_a_slot(specialist=specialist)).entry == returning


def test_a_patient_at_the_active_booking_cap_is_passed_over(settings):
    settings.MAX_ACTIVE_BOOKINGS = 1
    busy = WaitlistEntryFactory()
    BookingFactory(patient=busy.patient, slot__start=in_days(10))
    fits = WaitlistEntryFactory()
    assert open_offer(free_a_slot()).entry == fits


def test_the_patient_who_cancelled_is_not_offered_their_own_slot():
    booking = BookingFactory()
    WaitlistEntryFactory(patient=booking.patient)
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    assert open_offer(booking.slot) is None


def test_a_slot_starting_within_the_notice_and_the_hold_is_not_offered(settings):
    WaitlistEntryFactory()
    settings.CANCELLATION_WINDOW_HOURS = 0
    start = timezone.now() + dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES + 10)
    slot = free_a_slot(start=start)
    assert open_offer(slot) is None
    assert slot.status == Slot.Status.OPEN


def test_new_hours_are_not_offered_to_the_waitlist(specialist):
    WaitlistEntryFactory()
    slot = slots.slot_add(
        specialist=specialist, visit_type=specialist.visit_types.get(slug="consult"), start=in_days(4)
    )
    assert open_offer(slot) is None
    assert slot.status == Slot.Status.OPEN


def test_a_rescheduled_visits_old_slot_is_offered():
    entry = WaitlistEntryFactory()
    booking = BookingFactory()
    target = SlotFactory(specialist=booking.slot.specialist, start=in_days(6))
    bookings.booking_reschedule(booking=booking, slot_id=target.pk, by=booking.patient.user)
    assert open_offer(booking.slot).entry == entry


def test_offering_sends_offer_changed_with_the_offer():
    heard = []

    def hear(offer, action, **kwargs):
        heard.append((offer.pk, action))

    offer_changed.connect(hear)
    try:
        WaitlistEntryFactory()
        offer = open_offer(free_a_slot())
    finally:
        offer_changed.disconnect(hear)
    assert heard == [(offer.pk, "made")]


def test_an_offers_link_carries_its_token():
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    url = offers.offer_url(offer)
    assert url.endswith(f"/o/{token(offer)}")
    assert offers.offer_get_by_token(url.rsplit("/", 1)[1]) == offer


def test_an_offers_link_is_the_one_messages_already_carry(settings):
    # Computed once, for this key and nonce, by the code that wrote the links already sent.
    settings.SECRET_KEY = "pinned-secret-key-for-signed-links"

    assert offers.offer_url_of("0123456789abcdef0123456789abcdef").endswith("/o/BkX4IHxcj54zM156P5pnhQ")


def test_the_database_allows_one_open_offer_per_slot():
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    other = WaitlistEntryFactory()
    with pytest.raises(IntegrityError):
        Offer.objects.create(
            entry=other,
            slot=offer.slot,
            patient=other.patient,
            expires_at=offer.expires_at,
            nonce="x",
            token_sha256="y",
        )


# --- A held slot ------------------------------------------------------------------------------


def test_a_held_slot_is_in_no_search():
    WaitlistEntryFactory()
    slot = free_a_slot()
    assert slot.status == Slot.Status.HELD
    assert slot.pk not in [s.id for s in selectors.slots_bookable()[:100]]
    assert slot.pk not in [s.id for s in selectors.slots_next_available()[:100]]


def test_another_patient_cannot_book_a_held_slot():
    WaitlistEntryFactory()
    slot = free_a_slot()
    with pytest.raises(Conflict) as refused:
        bookings.booking_create(user=PatientFactory().user, slot_id=slot.pk)
    assert refused.value.code == "slot_unavailable"


def test_a_held_slot_cannot_be_deleted():
    WaitlistEntryFactory()
    slot = free_a_slot()
    with pytest.raises(Conflict) as refused:
        slots.slot_delete(slot=slot)
    assert refused.value.code == "slot_booked"
    assert Slot.objects.filter(pk=slot.pk, status="held").exists()


def test_time_off_over_a_held_slot_withdraws_its_offer():
    entry = WaitlistEntryFactory()
    slot = free_a_slot()
    offer = open_offer(slot)
    time_off.time_off_create(
        specialist=slot.specialist, start=slot.start - dt.timedelta(hours=1), end=slot.end
    )
    offer.refresh_from_db()
    slot.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert slot.status == Slot.Status.BLOCKED
    assert entry.status == WaitlistEntry.Status.WAITING


# --- Claiming ---------------------------------------------------------------------------------


def test_claiming_an_offer_books_the_slot_for_its_patient():
    entry = WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    booking = offer_claim(token=token(offer), reason="Worse at night")
    assert (booking.patient, booking.slot, booking.status) == (entry.patient, offer.slot, "confirmed")
    assert booking.reason == "Worse at night"
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert (offer.status, offer.booking) == (Offer.Status.CLAIMED, booking)
    assert entry.status == WaitlistEntry.Status.BOOKED
    assert Slot.objects.get(pk=offer.slot_id).status == Slot.Status.BOOKED


def test_a_claimed_offer_cannot_be_claimed_again():
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    offer_claim(token=token(offer))
    with pytest.raises(Gone) as refused:
        offer_claim(token=token(offer))
    assert refused.value.code == "offer_closed"
    assert Booking.objects.filter(slot=offer.slot, status="confirmed").count() == 1


def test_claiming_after_the_hold_answers_offer_closed(settings):
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    with time_machine.travel(offer.expires_at + dt.timedelta(seconds=1)), pytest.raises(Gone) as refused:
        offer_claim(token=token(offer))
    assert refused.value.code == "offer_closed"
    assert not Booking.objects.filter(slot=offer.slot, status="confirmed").exists()


def test_a_claim_goes_through_the_booking_policies(settings):
    entry = WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    settings.MAX_ACTIVE_BOOKINGS = 1
    BookingFactory(patient=entry.patient, slot__start=in_days(9))
    with pytest.raises(InvalidInput) as refused:
        offer_claim(token=token(offer))
    assert refused.value.code == "too_many_active_bookings"
    assert Slot.objects.get(pk=offer.slot_id).status == Slot.Status.HELD


# --- Passing on -------------------------------------------------------------------------------


def test_declining_passes_the_slot_to_the_next_entry():
    first, second = WaitlistEntryFactory(), WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    offer_decline(token=token(offer))
    offer.refresh_from_db()
    first.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert first.status == WaitlistEntry.Status.WAITING
    assert open_offer(offer.slot).entry == second


def test_declining_with_nobody_else_waiting_reopens_the_slot():
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    offer_decline(token=token(offer))
    assert open_offer(offer.slot) is None
    assert Slot.objects.get(pk=offer.slot_id).status == Slot.Status.OPEN


def test_a_lapsed_offer_passes_the_slot_to_the_next_entry():
    _first, second = WaitlistEntryFactory(), WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    with time_machine.travel(offer.expires_at + dt.timedelta(seconds=1)):
        assert offers_lapse_due() == 1
        assert offers_lapse_due() == 0
    offer.refresh_from_db()
    assert offer.status == Offer.Status.LAPSED
    assert open_offer(offer.slot).entry == second


def test_a_lapsed_offer_with_nobody_else_waiting_reopens_the_slot():
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    with time_machine.travel(offer.expires_at + dt.timedelta(seconds=1)):
        offers_lapse_due()
    assert Slot.objects.get(pk=offer.slot_id).status == Slot.Status.OPEN


def test_an_open_offer_does_not_lapse_before_its_expiry():
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    assert offers_lapse_due() == 0
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN


# --- Entries ----------------------------------------------------------------------------------


def test_leaving_while_offered_passes_the_slot_on():
    first, second = WaitlistEntryFactory(), WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    waitlist.waitlist_leave(entry=first, by=first.patient.user)
    first.refresh_from_db()
    offer.refresh_from_db()
    assert first.status == WaitlistEntry.Status.LEFT
    assert offer.status == Offer.Status.WITHDRAWN
    assert open_offer(offer.slot).entry == second


def test_an_entry_whose_last_date_passed_expires():
    entry = WaitlistEntryFactory(latest=timezone.localdate())
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert waitlist.waitlist_expire_due() == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.EXPIRED


def test_joining_takes_the_patients_state_by_default():
    patient = PatientFactory(state="NJ")
    entry = waitlist.waitlist_join(patient=patient, specialty=Specialty.objects.get(slug="epilepsy"))
    assert (entry.state, entry.status) == ("NJ", WaitlistEntry.Status.WAITING)


def test_a_hold_restarts_when_a_held_back_message_is_sent(settings):
    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    sent_at = timezone.now() + dt.timedelta(hours=8)  # held back by quiet hours
    offer = offer_hold_from(offer=offer, sent_at=sent_at)
    assert offer.expires_at == sent_at + dt.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)


def test_the_beat_task_lapses_offers_and_expires_entries():
    from scheduling.tasks import offers_lapse_due_task

    WaitlistEntryFactory()
    offer = open_offer(free_a_slot())
    ended = WaitlistEntryFactory(latest=timezone.localdate())
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert offers_lapse_due_task() == 1
    offer.refresh_from_db()
    ended.refresh_from_db()
    assert (offer.status, ended.status) == (Offer.Status.LAPSED, WaitlistEntry.Status.EXPIRED)


def test_beat_passes_lapsed_offers_on_every_minute(settings):
    from scheduling.tasks import offers_lapse_due_task

    entry = settings.CELERY_BEAT_SCHEDULE["lapse-waitlist-offers"]
    assert (entry["task"], entry["schedule"]) == (offers_lapse_due_task.name, 60)


def test_a_held_slot_stays_held_when_its_rule_goes_and_retires_when_the_offer_lapses(add_rule):
    from scheduling.services import rules

    rule = add_rule()
    slot = rule.slots.filter(start__gt=timezone.now() + dt.timedelta(days=2)).first()
    WaitlistEntryFactory()
    WaitlistEntryFactory()  # next in line: not offered a time the specialist no longer offers
    patient = PatientFactory()
    booking = bookings.booking_create(user=patient.user, slot_id=slot.pk).booking
    bookings.booking_cancel(booking=booking, by=patient.user)
    offer = open_offer(slot)
    rules.rule_delete(rule=rule)
    slot.refresh_from_db()
    assert (slot.status, slot.withdrawn) == (Slot.Status.HELD, True)
    with time_machine.travel(offer.expires_at + dt.timedelta(seconds=1)):
        offers_lapse_due()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.RETIRED


def test_a_slot_of_a_visit_type_the_specialist_no_longer_offers_is_not_offered():
    WaitlistEntryFactory()
    booking = BookingFactory()
    specialist = booking.slot.specialist
    specialist.visit_types.remove(booking.slot.visit_type)
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    assert open_offer(booking.slot) is None
