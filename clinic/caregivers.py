"""Caregivers: people a patient names to receive the confirmations and reminders of their visits
too. The state changes of `clinic.models.Caregiver`, and its consent link.

Each address consents for itself (the phone by replying YES, the email by its consent link), and
either side can stop it. Every change is in the audit trail, which names the address that
consented (`phone` or `email`) and the fields given, never their values. Each service sends its
signal (`clinic.signals`) inside its transaction, so that notifications asks for consent, writes
the caregiver's messages or skips them, with the change.

A consent link's token is a signed link's (core.signed_links) whose purpose is "caregiver"; the
row keeps the nonce (to render the email when it is sent) and the token's SHA-256 (to find the
row).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.models import Caregiver, Patient, User
from clinic.signals import caregiver_added, caregiver_consented, caregiver_withdrawn
from core.audit import audit_event_record
from core.errors import Gone, InvalidInput, NotFound
from core.signed_links import link_token, new_nonce, token_hash

# Each caregiver is a consent request sent to someone who asked for nothing: a few are enough.
CAREGIVERS_PER_PATIENT = 5
SMS = "sms"
EMAIL = "email"


def consent_token(caregiver: Caregiver) -> str:
    """The token of the caregiver's consent link (`/caregivers/consent/<token>/`)."""
    return link_token(caregiver.consent_nonce, "caregiver")


def _fields_given(caregiver: Caregiver) -> list[str]:
    """The names of the fields the caregiver has, for the audit trail (not their values)."""
    return [name for name in ("name", "relationship", "phone", "email") if getattr(caregiver, name)]


@transaction.atomic
def caregiver_add(
    *,
    patient: Patient,
    name: str,
    relationship: str = "",
    phone: str = "",
    email: str = "",
    by: User | None = None,
) -> Caregiver:
    """Name a caregiver: `pending_consent` until one of their addresses consents, each of which
    is sent its consent request now (`caregiver_added`)."""
    if not phone and not email:
        message = _("Give a phone number or an email address.")
        raise InvalidInput(message, code="contact_required", fields={"phone": [message], "email": [message]})
    # The patient's row, locked: two requests at once cannot pass the cap together.
    Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.caregivers.count() >= CAREGIVERS_PER_PATIENT:
        raise InvalidInput(
            _("A patient can name at most %(count)d caregivers.") % {"count": CAREGIVERS_PER_PATIENT},
            code="too_many_caregivers",
        )
    caregiver = Caregiver(
        patient=patient,
        name=name,
        relationship=relationship,
        phone=phone,
        email=email.lower(),
        consent_nonce=new_nonce(),
    )
    caregiver.consent_token_sha256 = token_hash(consent_token(caregiver))
    try:
        with transaction.atomic():
            caregiver.save()
    except IntegrityError as exc:  # the patient's unique (phone) or (email)
        message = _("This patient already has a caregiver with this address.")
        raise InvalidInput(message, code="caregiver_exists") from exc
    audit_event_record(
        actor=by or patient.user,
        action="caregiver.added",
        obj=caregiver,
        before=None,
        after={"patient": patient.pk, "fields": _fields_given(caregiver), "status": caregiver.status},
    )
    caregiver_added.send(sender=Caregiver, caregiver=caregiver)
    return caregiver


@transaction.atomic
def caregiver_remove(*, caregiver: Caregiver, by: User | None = None) -> None:
    """The patient removes a caregiver: their messages not yet sent are skipped, and the row goes
    (the audit trail keeps that they were, and when they consented)."""
    caregiver_withdrawn.send(sender=Caregiver, caregiver=caregiver)
    audit_event_record(
        actor=by or caregiver.patient.user,
        action="caregiver.removed",
        obj=caregiver,
        before={"status": caregiver.status},
        after=None,
    )
    caregiver.delete()


def _by_token(token: str) -> Caregiver:
    caregiver = Caregiver.objects.select_for_update().filter(consent_token_sha256=token_hash(token)).first()
    if caregiver is None:
        raise NotFound(_("This link is not valid."))
    return caregiver


def _consent(caregiver: Caregiver, channel: str) -> None:
    """Record that the caregiver's address on `channel` consents, now (locked row)."""
    field = "phone_consented_at" if channel == SMS else "email_consented_at"
    if getattr(caregiver, field) is not None:
        return  # consented already: the first time is the one kept
    before = caregiver.status
    setattr(caregiver, field, timezone.now())
    caregiver.status = Caregiver.Status.ACTIVE
    caregiver.save(update_fields=[field, "status"])
    audit_event_record(
        actor=None,
        action="caregiver.consented",
        obj=caregiver,
        before={"status": before},
        after={"address": "phone" if channel == SMS else "email", "status": caregiver.status},
    )
    caregiver_consented.send(sender=Caregiver, caregiver=caregiver, channel=channel)


def _stop(caregiver: Caregiver, via: str) -> None:
    """The caregiver wants nothing more (locked row)."""
    if caregiver.status == Caregiver.Status.STOPPED:
        return
    before = caregiver.status
    caregiver.status = Caregiver.Status.STOPPED
    caregiver.save(update_fields=["status"])
    audit_event_record(
        actor=None,
        action="caregiver.stopped",
        obj=caregiver,
        before={"status": before},
        after={"address": via, "status": caregiver.status},
    )
    caregiver_withdrawn.send(sender=Caregiver, caregiver=caregiver)


@transaction.atomic
def caregiver_consent_email(*, token: str) -> Caregiver:
    """The caregiver's email consents, through its link. A stopped caregiver stays stopped
    (410 `caregiver_stopped`): the patient adds them again to ask anew."""
    caregiver = _by_token(token)
    if not caregiver.email:
        raise NotFound(_("This link is not valid."))
    if caregiver.status == Caregiver.Status.STOPPED:
        raise Gone(_("You stopped these messages."), code="caregiver_stopped")
    _consent(caregiver, EMAIL)
    return caregiver


@transaction.atomic
def caregiver_stop_email(*, token: str) -> Caregiver:
    """The caregiver stops every message, through the stop button of their link's page."""
    caregiver = _by_token(token)
    _stop(caregiver, "email")
    return caregiver


@transaction.atomic
def caregivers_consent_by_phone(*, phone: str) -> list[Caregiver]:
    """A number replied YES (or START, UNSTOP): each caregiver waiting for its consent gets it.
    A stopped caregiver stays stopped (their YES lifts Twilio's block on the number only)."""
    caregivers = list(
        Caregiver.objects.select_for_update()
        .filter(phone=phone, phone_consented_at__isnull=True)
        .exclude(status=Caregiver.Status.STOPPED)
    )
    for caregiver in caregivers:
        _consent(caregiver, SMS)
    return caregivers


@transaction.atomic
def caregivers_stop_by_phone(*, phone: str) -> list[Caregiver]:
    """A number replied STOP: every caregiver with it is stopped, on both channels (a STOP says
    "no more", whichever address it came from)."""
    caregivers = list(
        Caregiver.objects.select_for_update().filter(phone=phone).exclude(status=Caregiver.Status.STOPPED)
    )
    for caregiver in caregivers:
        _stop(caregiver, "phone")
    return caregivers
