"""Who a message is for, and what that changes: the consent its send re-checks (the rule its
rows were written by, from `notifications.services.writing`), the template it is rendered from,
the zone its times are in, and what it may say.

- `patient`: their own opt-ins (a reply to a text they just sent needs none), their zone, and
  the join link of their visit. Templates `notifications/<channel>/<kind>`, a reply's
  `notifications/sms/reply_<variant>`.
- `specialist`: their alerts choices (`sms_alerts` with a phone, `email_alerts`), their own
  zone, and a link to their week: nothing of the patient (the workspace shows the reason and
  the first name; an alert needs neither). Templates `notifications/<channel>/specialist/<kind>`.
- `caregiver:<id>`: that caregiver is still there and active, and the address the message goes
  to consented (a consent request: it has not yet, and the caregiver has not stopped); the
  patient's zone and language; the time, the specialist and the patient's first name, never
  the reason or the join link, and the link of the caregiver's consent page (where they can
  stop). Templates `notifications/<channel>/caregiver/<kind>`.

A number that replied STOP gets nothing, whoever it belongs to: Twilio would refuse the message.
The patient's messages about a booking are most of the queue, so their checks and text come
from the send's one read (`notifications.sql.to_send`); the rarer ones read what they need, once
per send (`Outgoing`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clinic.caregivers import consent_token
from clinic.models import Caregiver, Patient
from notifications.models import PATIENT, SPECIALIST, Notification
from notifications.rendering import Message, clinic_context, message_context, render_message
from notifications.services.offers import offer_latest, offer_of
from notifications.services.writing import (
    ABOUT_THE_VISIT,
    caregiver_consent_recipients,
    caregiver_recipients,
    patient_accepts,
    recipients,
    specialist_recipients,
)
from notifications.sql import ToSend
from scheduling import video
from scheduling.models import Booking, Offer
from scheduling.offers import OfferState, offer_state, offer_url

Kind = Notification.Kind
Channel = Notification.Channel
CAREGIVER = "caregiver:"  # the prefix of a caregiver's audience (`caregiver_audience`)
# How much of the patient's first name a caregiver's message carries (one SMS segment).
PATIENT_NAME_CHARS = 20


@dataclass
class Outgoing:
    """One send of a message: its row as the send read it, and the rows the rarer messages need
    besides (the offer, the booking of a specialist's alert, the caregiver), each read when first
    asked for and then kept for the rest of this send, so that its checks and its text agree and
    cost one query each. A new send builds a new one: nothing is kept from one send to the next."""

    read: ToSend

    @cached_property
    def offer(self) -> Offer | None:
        """The offer a `waitlist_offer` message is about, if still there."""
        return offer_of(self.read.subject)

    @cached_property
    def booking(self) -> Booking:
        """The booking a specialist's alert is about, with its specialist."""
        assert self.read.booking_id is not None  # asked only of a message about a booking
        return Booking.objects.select_related("slot__specialist__user").get(pk=self.read.booking_id)

    @cached_property
    def caregiver(self) -> Caregiver | None:
        """The caregiver a `caregiver:<id>` message is for, if still there."""
        caregiver_id = int(self.read.audience.removeprefix(CAREGIVER))
        return Caregiver.objects.select_related("patient__user").filter(pk=caregiver_id).first()


def accepts(outgoing: Outgoing) -> bool:
    """Whether the message's audience accepts it on its channel now."""
    read = outgoing.read
    if read.channel == Channel.SMS and read.number_blocked:
        return False
    if read.audience == PATIENT:
        if read.kind == Kind.REPLY:
            return True  # an answer to the text the patient just sent us
        if read.kind == Kind.WAITLIST_OFFER:
            offer = outgoing.offer
            return offer is not None and read.channel in recipients(offer.patient)
        # A message about a booking: the patient's choices and phone as the send read them.
        return patient_accepts(
            channel=read.channel,
            sms_opt_in=bool(read.sms_opt_in),
            email_opt_in=bool(read.email_opt_in),
            phone=read.phone or "",
        )
    if read.audience == SPECIALIST and read.booking_id is not None:
        return read.channel in specialist_recipients(outgoing.booking.slot.specialist)
    if read.audience.startswith(CAREGIVER):
        caregiver = outgoing.caregiver
        return caregiver is not None and _caregiver_accepts(caregiver, read)
    return False


def current(outgoing: Outgoing) -> bool:
    """Whether what the message announces still stands: a visit still confirmed, an offer
    still open (a message about the past is cancelled, not sent)."""
    read = outgoing.read
    if read.kind in ABOUT_THE_VISIT and read.booking_id is not None:
        return read.booking_status == Booking.Status.CONFIRMED
    if read.kind == Kind.WAITLIST_OFFER:
        offer = outgoing.offer
        return offer is not None and offer_state(offer) == OfferState.OPEN
    return True


def _caregiver_accepts(caregiver: Caregiver, read: ToSend) -> bool:
    """The row's channel, at the row's address: a consent belongs to the address that gave it."""
    if read.kind == Kind.CAREGIVER_CONSENT:
        return caregiver_consent_recipients(caregiver).get(read.channel) == read.recipient
    if read.patient_id is not None and read.patient_id != caregiver.patient_id:
        return False
    return caregiver_recipients(caregiver).get(read.channel) == read.recipient


def can_wait(outgoing: Outgoing) -> bool:
    """Whether the message may wait out the recipient's quiet hours: a reminder, and an alert to
    a specialist; never the confirmation of what the patient just did, a cancellation, or an
    answer to a text."""
    read = outgoing.read
    if read.kind in (Kind.CAREGIVER_CONSENT, Kind.WAITLIST_OFFER):
        # A request to someone who asked for nothing can wait for the morning; so can an offer,
        # whose hold starts when it goes out.
        return True
    return read.kind == Kind.REMINDER or read.audience == SPECIALIST


def latest(outgoing: Outgoing) -> dt.datetime | None:
    """The latest a message that can wait may go: before the visit it is about, or for an offer,
    while its slot can still be booked when the hold ends (`offer_latest`)."""
    if outgoing.read.kind == Kind.WAITLIST_OFFER:
        offer = outgoing.offer
        return offer_latest(offer) if offer else None
    return outgoing.read.start


def zone(outgoing: Outgoing) -> zoneinfo.ZoneInfo | None:
    """The recipient's time zone, where the message's quiet hours are; None if unknown."""
    read = outgoing.read
    if read.audience == SPECIALIST and read.booking_id is not None:
        specialist_zone: zoneinfo.ZoneInfo = outgoing.booking.slot.specialist.timezone
        return specialist_zone
    if read.patient_timezone:
        return zoneinfo.ZoneInfo(read.patient_timezone)
    if read.kind == Kind.WAITLIST_OFFER:
        offer = outgoing.offer
        return zoneinfo.ZoneInfo(str(offer.patient.timezone)) if offer else None
    if read.audience.startswith(CAREGIVER):  # a consent request: about no booking
        caregiver = outgoing.caregiver
        return zoneinfo.ZoneInfo(str(caregiver.patient.timezone)) if caregiver else None
    return None


def message(outgoing: Outgoing) -> Message:
    """The message, rendered for its audience."""
    read = outgoing.read
    if read.audience == SPECIALIST and read.booking_id is not None:
        booking = outgoing.booking
        data = message_context(
            start=booking.slot.start,
            patient_timezone=booking.slot.specialist.timezone,
            doctor_last_name=booking.slot.specialist.user.last_name,
            join_url=None,
        )
        return render_message(channel=read.channel, kind=f"specialist/{read.kind}", data=data)
    if read.audience.startswith(CAREGIVER):
        return _caregiver_message(outgoing)
    if read.kind == Kind.WAITLIST_OFFER:
        return _offer_message(outgoing)
    kind = f"reply_{read.variant}" if read.kind == Kind.REPLY else read.kind
    if read.start is None or read.patient_timezone is None:
        # An answer about no visit: in the language of the patient whose number it is.
        language = Patient.objects.filter(phone=read.recipient).values_list("language", flat=True).first()
        return render_message(channel=read.channel, kind=kind, data=clinic_context(language=language))
    nonce = read.video_nonce
    data = message_context(
        start=read.start,
        patient_timezone=zoneinfo.ZoneInfo(read.patient_timezone),
        doctor_last_name=read.specialist_last_name or "",
        join_url=video.join_url_of(nonce, video.Participant.PATIENT) if nonce else None,
        language=read.patient_language,
    )
    data["visit_url"] = f"{data['visits_url']}{read.booking_id}/"  # the visit's page (web/)
    return render_message(channel=read.channel, kind=kind, data=data)


def _offer_message(outgoing: Outgoing) -> Message:
    read = outgoing.read
    offer = outgoing.offer
    assert offer is not None  # the send re-checked it (`current`)
    patient = offer.patient
    data = message_context(
        start=offer.slot.start,
        patient_timezone=patient.timezone,
        doctor_last_name=offer.slot.specialist.user.last_name,
        join_url=None,
        language=patient.language,
    )
    data["offer_url"] = offer_url(offer)
    data["hold_minutes"] = settings.WAITLIST_HOLD_MINUTES
    return render_message(channel=read.channel, kind=read.kind, data=data)


def _caregiver_message(outgoing: Outgoing) -> Message:
    read = outgoing.read
    caregiver = outgoing.caregiver
    if caregiver is None:
        raise LookupError(f"notification {read.id}: its caregiver is gone")
    patient = caregiver.patient
    # The patient's language and zone (the caregiver has none of their own here).
    language = read.patient_language or patient.language
    if read.start is None:
        data = clinic_context(language=language)
    else:
        data = message_context(
            start=read.start,
            patient_timezone=zoneinfo.ZoneInfo(read.patient_timezone or str(patient.timezone)),
            doctor_last_name=read.specialist_last_name or "",
            join_url=None,  # the visit's room is the patient's
            language=language,
        )
    # The first name only, cut short enough for one SMS segment.
    with translation.override(language):
        data["patient_name"] = patient.user.first_name[:PATIENT_NAME_CHARS] or _("your patient")
    data["caregiver_name"] = caregiver.name
    token = consent_token(caregiver)
    data["consent_url"] = settings.PUBLIC_BASE_URL + reverse("web:caregiver_consent", args=[token])
    return render_message(channel=read.channel, kind=f"caregiver/{read.kind}", data=data)
