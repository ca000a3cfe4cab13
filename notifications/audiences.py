"""Who a message is for, and what that changes: the consent its send re-checks, the template
it is rendered from, the zone its times are in, and what it may say.

- `patient`: their own opt-ins (a reply to a text they just sent needs none), their zone, and
  the join link of their visit. Templates `notifications/<channel>/<kind>`, a reply's
  `notifications/sms/reply_<variant>`.
- `specialist`: their alerts choices (`sms_alerts` with a phone, `email_alerts`), their own
  zone, and a link to their week: nothing of the patient (the workspace shows the reason and
  the first name; an alert needs neither). Templates `notifications/<channel>/specialist/<kind>`.

A number that replied STOP gets nothing, whoever it belongs to: Twilio would refuse the message.
The patient's messages about a booking are most of the queue, so their checks and text come
from the send's one read (`notifications.sql.to_send`); the rarer ones read what they need.
"""

from __future__ import annotations

import zoneinfo

from clinic.models import Patient
from notifications.models import PATIENT, SPECIALIST, Notification
from notifications.rendering import Message, clinic_context, message_context, render_message
from notifications.sql import ToSend
from scheduling import video
from scheduling.models import Booking

Kind = Notification.Kind
Channel = Notification.Channel


def accepts(read: ToSend) -> bool:
    """Whether the message's audience accepts it on its channel now."""
    if read.channel == Channel.SMS and read.number_blocked:
        return False
    if read.audience == PATIENT:
        if read.kind == Kind.REPLY:
            return True  # an answer to the text the patient just sent us
        if read.channel == Channel.SMS:
            return bool(read.sms_opt_in and read.phone)
        return bool(read.email_opt_in)
    if read.audience == SPECIALIST and read.booking_id is not None:
        specialist = _booking(read.booking_id).slot.specialist
        if read.channel == Channel.SMS:
            return bool(specialist.sms_alerts and specialist.phone)
        return specialist.email_alerts
    return False


def can_wait(read: ToSend) -> bool:
    """Whether the message may wait out the recipient's quiet hours: a reminder, and an alert to
    a specialist; never the confirmation of what the patient just did, a cancellation, or an
    answer to a text."""
    return read.kind == Kind.REMINDER or read.audience == SPECIALIST


def zone(read: ToSend) -> zoneinfo.ZoneInfo | None:
    """The recipient's time zone, where the message's quiet hours are; None if unknown."""
    if read.audience == SPECIALIST and read.booking_id is not None:
        specialist_zone: zoneinfo.ZoneInfo = _booking(read.booking_id).slot.specialist.timezone
        return specialist_zone
    return zoneinfo.ZoneInfo(read.patient_timezone) if read.patient_timezone else None


def message(read: ToSend) -> Message:
    """The message, rendered for its audience."""
    if read.audience == SPECIALIST and read.booking_id is not None:
        booking = _booking(read.booking_id)
        data = message_context(
            start=booking.slot.start,
            patient_timezone=booking.slot.specialist.timezone,
            doctor_last_name=booking.slot.specialist.user.last_name,
            join_url=None,
        )
        return render_message(channel=read.channel, kind=f"specialist/{read.kind}", data=data)
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


def _booking(booking_id: int) -> Booking:
    return Booking.objects.select_related("slot__specialist__user").get(pk=booking_id)
