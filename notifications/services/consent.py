"""Consent to SMS belongs to a phone number: Twilio's opt-out words (STOP and its family) block
every message to the number, whatever roles it has here (a patient's, a caregiver's, a
specialist's), until it replies one of the opt-in words (START, YES, UNSTOP). A profile switch
cannot lift that block; only the number can.

So a STOP records the number (`SmsOptOut`, which every send re-checks), turns its patients'
`sms_opt_in` off, stops its caregivers and skips what waits for it. A START lifts the record
and, only if there was one, turns its patients back on and brings back the reminders of their
upcoming visits: an opt-in word undoes a STOP, not a choice a patient made in their profile
while the number was not blocked (a caregiver's YES from a phone the patient shares must not
turn back on the texts the patient turned off). Any opt-in word is also the consent of a
caregiver's phone still waiting for it (YES is what their consent request asks for). Both run
inside the webhook's transaction, so they happen once per inbound message.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from clinic.caregivers import caregivers_consent_by_phone, caregivers_stop_by_phone
from clinic.services import patients_sms_opt_in_by_phone
from notifications.models import Notification, SmsOptOut
from notifications.services.writing import notifications_restore_reminders

Status = Notification.Status


@transaction.atomic
def phone_opt_out(*, phone: str) -> None:
    """The number replied STOP (or Twilio refused it as unsubscribed): nothing more goes to it."""
    SmsOptOut.objects.get_or_create(phone=phone)
    patients_sms_opt_in_by_phone(phone=phone, opt_in=False)
    caregivers_stop_by_phone(phone=phone)
    Notification.objects.filter(
        channel=Notification.Channel.SMS, recipient=phone, status__in=[Status.PENDING, Status.QUEUED]
    ).update(status=Status.SKIPPED, updated_at=timezone.now())


@transaction.atomic
def phone_opt_in(*, phone: str) -> None:
    """The number replied START: it accepts messages again and, if it was blocked, its patients
    are opted back in and their reminders of upcoming visits whose time has not passed come
    back."""
    blocked, _ = SmsOptOut.objects.filter(phone=phone).delete()
    if blocked:
        for patient in patients_sms_opt_in_by_phone(phone=phone, opt_in=True):
            notifications_restore_reminders(patient=patient, channel=Notification.Channel.SMS)
    caregivers_consent_by_phone(phone=phone)


def phone_blocked(phone: str) -> bool:
    """Whether the number replied STOP and has not replied START since (a profile then asks the
    patient to text START)."""
    return bool(phone) and SmsOptOut.objects.filter(phone=phone).exists()
