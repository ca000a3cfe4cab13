"""Notification rows, written in the same transaction as the booking change they announce.

Called by the receiver of `scheduling.signals.booking_changed`, which the booking services send
inside their transaction: the rows commit or roll back with the booking, so a confirmed visit
always has its messages and a rolled-back one has none.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from clinic import sql as clinic_sql
from clinic.models import Caregiver, Patient, Specialist
from notifications import sql
from notifications.models import (
    PATIENT,
    SPECIALIST,
    Notification,
    booking_subject,
    caregiver_audience,
    caregiver_subject,
    offer_subject,
)
from notifications.quiet import quiet_send_at
from scheduling.models import Booking, Offer
from scheduling.signals import BookingAction

Kind = Notification.Kind
Status = Notification.Status

# Messages that announce a visit: pointless once the booking is no longer confirmed.
ABOUT_THE_VISIT = (Kind.BOOKING_CONFIRMED, Kind.REMINDER, Kind.BOOKING_RESCHEDULED)


def patient_accepts(*, channel: str, sms_opt_in: bool, email_opt_in: bool, phone: str) -> bool:
    """Whether a patient with these choices takes messages on `channel`: a text needs their
    opt-in and a phone, an email their opt-in (everyone has an email: it is how they sign in).
    Over plain values, so that the send asks it of its one read (`notifications.sql.to_send`)."""
    if channel == Notification.Channel.SMS:
        return sms_opt_in and bool(phone)
    return email_opt_in


def recipients(patient: Patient) -> dict[str, str]:
    """The channels the patient accepts, each with its address as of now."""
    phone = str(patient.phone) if patient.phone else ""
    addresses = {Notification.Channel.SMS: phone, Notification.Channel.EMAIL: patient.user.email}
    return {
        channel: address
        for channel, address in addresses.items()
        if address
        and patient_accepts(
            channel=channel, sms_opt_in=patient.sms_opt_in, email_opt_in=patient.email_opt_in, phone=phone
        )
    }


def _write(booking: Booking, messages: list[tuple[str, int, dt.datetime]]) -> None:
    # One hand-written INSERT (notifications.sql): every booking writes these rows in its
    # transaction, and building them as models cost the booking more than storing them.
    channels = recipients(booking.patient)
    if channels and messages:
        sql.insert_pending(
            subject=booking_subject(booking.pk),
            audience=PATIENT,
            booking_id=booking.pk,
            messages=messages,
            recipients=channels,
            now=timezone.now(),
        )


def _reminders(booking: Booking, now: dt.datetime) -> list[tuple[str, int, dt.datetime]]:
    """The reminders still ahead, each moved out of the patient's quiet hours. No reminder whose
    time has passed: a visit booked 3 hours ahead gets the 1 h one only. Two moved to the same
    instant (both due in the night before an early visit) are one message: the earlier offset's."""
    start = booking.slot.start
    zone = booking.patient.timezone
    reminders: dict[dt.datetime, tuple[str, int, dt.datetime]] = {}
    for offset in settings.REMINDER_OFFSETS:  # largest first
        due = start - dt.timedelta(seconds=offset)
        if due <= now:
            continue
        send_at = quiet_send_at(due=due, zone=zone, latest=start, now=now)
        reminders.setdefault(send_at, (Kind.REMINDER, offset, send_at))
    return list(reminders.values())


def _announce(booking: Booking, kind: str, now: dt.datetime) -> None:
    messages = [(kind, 0, now), *_reminders(booking, now)]
    _write(booking, messages)
    _caregivers_write(booking, messages)


def _cancel_pending(booking: Booking) -> None:
    booking.notifications.filter(kind__in=ABOUT_THE_VISIT, status__in=[Status.PENDING, Status.QUEUED]).update(
        status=Status.CANCELLED, updated_at=timezone.now()
    )


def notifications_for_booking_change(
    *, booking: Booking, action: str, previous: Booking | None = None
) -> None:
    now = timezone.now()
    if action == BookingAction.CONFIRMED:
        _announce(booking, Kind.BOOKING_CONFIRMED, now)
        _alert(booking, Kind.BOOKING_CONFIRMED, now)
    elif action == BookingAction.RESCHEDULED:
        if previous is not None:
            _cancel_pending(previous)
        _announce(booking, Kind.BOOKING_RESCHEDULED, now)
        _alert_move(booking, previous, now)
    elif action == BookingAction.CANCELLED:
        _cancel_pending(booking)
        _write(booking, [(Kind.BOOKING_CANCELLED, 0, now)])
        _caregivers_write(booking, [(Kind.BOOKING_CANCELLED, 0, now)])
        if booking.cancelled_by != Booking.Actor.SPECIALIST:  # they know: they did it
            _alert(booking, Kind.BOOKING_CANCELLED, now)
    else:  # completed, no-show: nothing more to say about this visit
        _cancel_pending(booking)


# A specialist hears of changes to visits this close (issue 13): further out, their week shows it.
ALERT_HORIZON = dt.timedelta(hours=48)


def specialist_recipients(specialist: Specialist) -> dict[str, str]:
    """The channels a specialist takes alerts on, each with its address as of now."""
    found: dict[str, str] = {}
    if specialist.sms_alerts and specialist.phone:
        found[Notification.Channel.SMS] = str(specialist.phone)
    if specialist.email_alerts and specialist.user.email:
        found[Notification.Channel.EMAIL] = specialist.user.email
    return found


def _close(booking: Booking, now: dt.datetime) -> bool:
    return now < booking.slot.start <= now + ALERT_HORIZON


def _alert(booking: Booking, kind: str, now: dt.datetime) -> None:
    if _close(booking, now):
        _alert_write(booking, kind, now)


def _alert_move(booking: Booking, previous: Booking | None, now: dt.datetime) -> None:
    """A visit moved: its specialist hears of it if the old or the new time is close; moved to
    another specialist, the old one hears it is cancelled and the new one that it is booked."""
    if previous is None or previous.slot.specialist_id == booking.slot.specialist_id:
        if _close(booking, now) or (previous is not None and _close(previous, now)):
            _alert_write(booking, Kind.BOOKING_RESCHEDULED, now)
        return
    _alert(previous, Kind.BOOKING_CANCELLED, now)
    _alert(booking, Kind.BOOKING_CONFIRMED, now)


def _alert_write(booking: Booking, kind: str, now: dt.datetime) -> None:
    """The specialist's alert: the kind of the patient's own message, for the `specialist`
    audience (which picks its template, with nothing of the patient in it)."""
    specialist = Specialist.objects.select_related("user").get(pk=booking.slot.specialist_id)
    channels = specialist_recipients(specialist)
    if channels:
        sql.insert_pending(
            subject=booking_subject(booking.pk),
            audience=SPECIALIST,
            booking_id=booking.pk,
            messages=[(kind, 0, now)],
            recipients=channels,
            now=now,
        )


def notifications_follow_specialist(*, specialist: Specialist) -> int:
    """A specialist's phone, email or alerts choices changed (clinic's
    `specialist_contact_changed`, in its transaction): their alerts not yet sent go to their
    addresses as they are now, and those on a channel they turned off end `skipped`. Only the
    `specialist` audience's rows: the patient's messages about the same visits stay as they are.
    A queued alert whose task already read the old address is reclaimed as a patient's is
    (`notifications_readdress`). Returns how many rows changed."""
    now = timezone.now()
    addresses = specialist_recipients(specialist)
    waiting = Notification.objects.filter(
        booking__slot__specialist=specialist,
        audience=SPECIALIST,
        status__in=[Status.PENDING, Status.QUEUED],
    )
    changed = 0
    for channel in Notification.Channel:
        rows = waiting.filter(channel=channel)
        address = addresses.get(channel)
        if address is None:
            changed += rows.update(status=Status.SKIPPED, updated_at=now)
        else:
            changed += rows.exclude(recipient=address).update(recipient=address, updated_at=now)
    return changed


def _patient_waiting(patient: Patient) -> list[QuerySet[Notification]]:
    """The patient's own messages not yet sent: those about their bookings, and those about
    their open waitlist offers, which have no booking (a closed offer's were cancelled when it
    closed). Two sets, each found through its own index: one OR across the booking's join would
    be served by neither. The offers are read here, once, and most patients have none."""
    waiting = Notification.objects.filter(audience=PATIENT, status__in=[Status.PENDING, Status.QUEUED])
    offers = Offer.objects.filter(patient=patient, status=Offer.Status.OPEN).values_list("pk", flat=True)
    subjects = [offer_subject(pk) for pk in offers]
    about_offers = [waiting.filter(subject__in=subjects)] if subjects else []
    return [waiting.filter(booking__patient=patient), *about_offers]


def notifications_skip_channel(*, patient: Patient, channel: str) -> int:
    """An opt-out takes effect at once: the patient's waiting messages on that channel end
    `skipped`. Returns how many."""
    now = timezone.now()
    return sum(
        rows.filter(channel=channel).update(status=Status.SKIPPED, updated_at=now)
        for rows in _patient_waiting(patient)
    )


def notifications_follow_contact(*, patient: Patient, changed: frozenset[str]) -> None:
    """A patient's contact details or consents changed (clinic's `patient_contact_changed`, in
    its transaction): an opt-out takes effect at once (waiting messages on that channel end
    `skipped`), and a new phone or email re-addresses every message not yet sent (API.md)."""
    for channel, field in (
        (Notification.Channel.SMS, "sms_opt_in"),
        (Notification.Channel.EMAIL, "email_opt_in"),
    ):
        if field in changed and not getattr(patient, field):
            notifications_skip_channel(patient=patient, channel=channel)
    if changed & {"phone", "email"}:
        notifications_readdress(patient=patient)
    if "sms_opt_in" in changed and patient.sms_opt_in:
        notifications_restore_reminders(patient=patient, channel=Notification.Channel.SMS)


def notifications_restore_reminders(*, patient: Patient, channel: str) -> int:
    """The patient accepts `channel` again: the reminders of their upcoming visits whose send
    time has not passed come back, those skipped by the opt-out as pending again and those of
    visits booked meanwhile written anew. Returns how many came back."""
    now = timezone.now()
    address = recipients(patient).get(channel)
    if address is None:
        return 0
    upcoming = list(
        Booking.objects.filter(
            patient=patient, status=Booking.Status.CONFIRMED, slot__start__gt=now
        ).select_related("slot")
    )
    restored = Notification.objects.filter(
        booking__in=upcoming,
        audience=PATIENT,
        kind=Kind.REMINDER,
        channel=channel,
        status=Status.SKIPPED,
        send_at__gt=now,
    ).update(status=Status.PENDING, recipient=address, attempts=0, updated_at=now)
    for booking in upcoming:
        sql.insert_pending(
            subject=booking_subject(booking.pk),
            audience=PATIENT,
            booking_id=booking.pk,
            messages=_reminders(booking, now),
            recipients={channel: address},
            now=now,
        )
    return restored


def notifications_readdress(*, patient: Patient) -> int:
    """Every message of the patient's not yet sent goes to their addresses as they are now.
    A queued one whose task already read the old address stays unsent: the task's move to
    `sending` lands only on the row as it read it (`updated_at` changes here), and the
    dispatcher reclaims the row for the new address after NOTIFICATION_STUCK_SECONDS."""
    waiting = _patient_waiting(patient)
    now = timezone.now()
    moved = 0
    for channel, address in recipients(patient).items():
        for rows in waiting:
            moved += (
                rows.filter(channel=channel)
                .exclude(recipient=address)
                .update(recipient=address, updated_at=now)
            )
    return moved


def caregiver_recipients(caregiver: Caregiver) -> dict[str, str]:
    """The channels an active caregiver consented to, each with its address."""
    found: dict[str, str] = {}
    if caregiver.status != Caregiver.Status.ACTIVE:
        return found
    if caregiver.phone and caregiver.phone_consented_at is not None:
        found[Notification.Channel.SMS] = str(caregiver.phone)
    if caregiver.email and caregiver.email_consented_at is not None:
        found[Notification.Channel.EMAIL] = caregiver.email
    return found


def caregiver_consent_recipients(caregiver: Caregiver) -> dict[str, str]:
    """The channels a caregiver's consent request goes on, each with its address: those that
    have not consented yet, of a caregiver who has not stopped."""
    found: dict[str, str] = {}
    if caregiver.status == Caregiver.Status.STOPPED:
        return found
    if caregiver.phone and caregiver.phone_consented_at is None:
        found[Notification.Channel.SMS] = str(caregiver.phone)
    if caregiver.email and caregiver.email_consented_at is None:
        found[Notification.Channel.EMAIL] = caregiver.email
    return found


def _caregivers_write(booking: Booking, messages: list[tuple[str, int, dt.datetime]]) -> None:
    """The patient's messages about a visit, for each of their active caregivers too, on the
    channels each consented to: same kinds, same times (the patient's zone, their quiet hours);
    the `caregiver:<id>` audience picks templates that say nothing clinical."""
    for caregiver in clinic_sql.caregivers_active(booking.patient):
        channels = caregiver_recipients(caregiver)
        if channels and messages:
            sql.insert_pending(
                subject=booking_subject(booking.pk),
                audience=caregiver_audience(caregiver.pk),
                booking_id=booking.pk,
                messages=messages,
                recipients=channels,
                now=timezone.now(),
            )


def notifications_caregiver_consent_request(*, caregiver: Caregiver) -> None:
    """A caregiver was named: each of their addresses is asked for its consent, now (a patient's
    action, so never held for quiet hours at writing; the send may hold it for the night)."""
    now = timezone.now()
    sql.insert_pending(
        subject=caregiver_subject(caregiver.pk),
        audience=caregiver_audience(caregiver.pk),
        booking_id=None,
        messages=[(Kind.CAREGIVER_CONSENT, 0, now)],
        recipients=caregiver_consent_recipients(caregiver),
        now=now,
    )


def notifications_caregiver_consented(*, caregiver: Caregiver, channel: str) -> None:
    """A caregiver's address consented: the reminders of the patient's upcoming visits whose
    time has not passed are written for it (the confirmations went before they consented)."""
    address = caregiver_recipients(caregiver).get(channel)
    if address is None:
        return
    now = timezone.now()
    upcoming = Booking.objects.filter(
        patient_id=caregiver.patient_id, status=Booking.Status.CONFIRMED, slot__start__gt=now
    ).select_related("slot", "patient")
    for booking in upcoming:
        sql.insert_pending(
            subject=booking_subject(booking.pk),
            audience=caregiver_audience(caregiver.pk),
            booking_id=booking.pk,
            messages=_reminders(booking, now),
            recipients={channel: address},
            now=now,
        )


def notifications_caregiver_withdrawn(*, caregiver: Caregiver) -> int:
    """A caregiver stopped or was removed: whatever waits for them is skipped. How many."""
    return Notification.objects.filter(
        audience=caregiver_audience(caregiver.pk), status__in=[Status.PENDING, Status.QUEUED]
    ).update(status=Status.SKIPPED, updated_at=timezone.now())
