"""A waitlist offer's messages: written with the offer, cancelled when it closes, re-checked at
the send, held out of the night with its hold starting when it goes out."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.services import profile_update
from notifications import sql
from notifications.backends.sms import LocmemSmsBackend
from notifications.models import Notification
from notifications.services import dispatch, sending
from scheduling import offers
from scheduling.models import Offer
from scheduling.services import bookings
from scheduling.services.offers import offer_claim
from tests.factories import BookingFactory, WaitlistEntryFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status
NEW_YORK = ZoneInfo("America/New_York")


def free_a_slot(**slot):
    booking = BookingFactory(reason="CANARY tremor", **{f"slot__{k}": v for k, v in slot.items()})
    bookings.booking_cancel(booking=booking, by=booking.slot.specialist.user)
    return booking.slot


def offer_rows(offer):
    return Notification.objects.filter(subject=f"offer:{offer.pk}").order_by("channel")


@pytest.fixture
def locmem(settings, monkeypatch):
    settings.SMS_BACKEND = "locmem"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(LocmemSmsBackend, "outbox", [])
    return LocmemSmsBackend.outbox


def test_an_offer_is_told_by_sms_and_email_with_its_link(settings):
    settings.PUBLIC_BASE_URL = "https://visits.neuroclinic.example"
    entry = WaitlistEntryFactory()
    slot = free_a_slot()
    offer = Offer.objects.get(slot=slot, status="open")

    rows = list(offer_rows(offer))

    assert [(n.kind, n.channel, n.audience, n.booking_id) for n in rows] == [
        ("waitlist_offer", "email", "patient", None),
        ("waitlist_offer", "sms", "patient", None),
    ]
    assert rows[1].recipient == str(entry.patient.phone)
    text = sending.notification_message(sql.to_send(rows[1].pk)).text
    assert offers.offer_url(offer) in text and "CANARY" not in text


def test_a_claimed_offer_cancels_what_has_not_gone_out():
    entry = WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")

    offer_claim(token=offers.offer_token(offer), reason="")

    assert {n.status for n in offer_rows(offer)} == {Status.CANCELLED}
    assert entry.patient.bookings.filter(status="confirmed").exists()


def test_an_offer_lapsed_before_its_send_is_not_sent(locmem, time_machine):
    WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    time_machine.move_to(offer.expires_at + dt.timedelta(seconds=1))

    sms = offer_rows(offer).get(channel="sms")
    sending.notification_send(notification_id=sms.pk)

    sms.refresh_from_db()
    assert sms.status == Status.CANCELLED and locmem == []


def test_an_offer_to_a_patient_who_turned_texts_off_meanwhile_is_not_texted(locmem):
    entry = WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    profile_update(user=entry.patient.user, changes={"sms_opt_in": False})

    sms = offer_rows(offer).get(channel="sms")
    sending.notification_send(notification_id=sms.pk)

    sms.refresh_from_db()
    assert sms.status == Status.SKIPPED and locmem == []


def test_the_hold_starts_when_the_offer_goes_out(locmem, settings, time_machine):
    WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=5), tick=False)  # the queue ran late

    sending.notification_send(notification_id=offer_rows(offer).get(channel="sms").pk)

    offer.refresh_from_db()
    assert offer.expires_at >= timezone.now() + dt.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)
    assert len(locmem) == 1


def test_an_offer_made_in_the_night_waits_for_the_morning_and_so_does_its_hold(settings, time_machine):
    settings.QUIET_HOURS = (dt.time(21), dt.time(8))
    time_machine.move_to(dt.datetime(2026, 12, 7, 23, tzinfo=NEW_YORK), tick=False)
    WaitlistEntryFactory(patient__timezone=NEW_YORK)
    slot = free_a_slot(start=dt.datetime(2026, 12, 9, 15, tzinfo=NEW_YORK))
    offer = Offer.objects.get(slot=slot, status="open")

    morning = dt.datetime(2026, 12, 8, 8, tzinfo=NEW_YORK)
    assert {n.send_at for n in offer_rows(offer)} == {morning}
    offer.refresh_from_db()
    assert offer.expires_at == morning + dt.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)


def test_an_offer_for_an_early_slot_goes_out_in_the_night_rather_than_too_late(
    locmem, settings, time_machine
):
    settings.QUIET_HOURS = (dt.time(21), dt.time(8))
    time_machine.move_to(dt.datetime(2026, 12, 7, 23, tzinfo=NEW_YORK), tick=False)
    WaitlistEntryFactory(patient__timezone=NEW_YORK)
    # At 08:00 the slot could no longer be booked with the hold's time to spare.
    slot = free_a_slot(start=dt.datetime(2026, 12, 8, 9, 30, tzinfo=NEW_YORK))
    offer = Offer.objects.get(slot=slot, status="open")
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)

    sms = offer_rows(offer).get(channel="sms")
    assert sending.notification_send(notification_id=sms.pk) == Status.SENT
    assert len(locmem) == 1


def test_an_offer_send_reads_the_offer_once(locmem, django_assert_num_queries):
    WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")
    dispatch.notification_dispatch_due(enqueue=lambda pk, channel: None)
    sms = offer_rows(offer).get(channel="sms")

    # The row, the offer its checks and its text need, the move to `sending`, the record of
    # `sent`; then, once it went out, the hold that starts now: the offer read afresh, and
    # `offer_hold_from`'s UPDATE and read back (in a savepoint here, inside the test's transaction).
    with django_assert_num_queries(9):
        assert sending.notification_send(notification_id=sms.pk) == Status.SENT
    assert len(locmem) == 1


def test_a_new_phone_readdresses_an_offer_text_not_yet_sent():
    entry = WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")

    profile_update(user=entry.patient.user, changes={"phone": "+12125550199"})

    sms = offer_rows(offer).get(channel="sms")
    assert (sms.status, sms.recipient) == (Status.PENDING, "+12125550199")


def test_a_new_phone_leaves_another_patients_offer_alone():
    entry, other = WaitlistEntryFactory(), WaitlistEntryFactory(patient__phone="+12125550111")
    free_a_slot()
    theirs = Offer.objects.get(slot=free_a_slot(), status="open")
    assert theirs.patient == other.patient

    profile_update(user=entry.patient.user, changes={"phone": "+12125550199"})

    assert offer_rows(theirs).get(channel="sms").recipient == "+12125550111"


def test_turning_texts_off_in_the_profile_skips_an_offer_text_at_once():
    entry = WaitlistEntryFactory()
    offer = Offer.objects.get(slot=free_a_slot(), status="open")

    profile_update(user=entry.patient.user, changes={"sms_opt_in": False})

    assert [(n.channel, n.status) for n in offer_rows(offer)] == [
        ("email", Status.PENDING),
        ("sms", Status.SKIPPED),
    ]
