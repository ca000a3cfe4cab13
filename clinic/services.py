"""State changes of people and the catalogue: registration, profiles, onboarding specialists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from clinic.models import Language, Patient, Specialist, Specialty, StateLicense, User, VisitType
from clinic.signals import patient_contact_changed, specialist_contact_changed
from clinic.tokens import IssuedToken, token_create, user_tokens_revoke
from core.audit import audit_event_record
from core.emails import email_normalized
from core.errors import InvalidInput


@dataclass(frozen=True)
class LicenseInput:
    state: str
    number: str
    expires_on: dt.date


# What the audit trail copies of a change to a person: consents and switches. Everything else
# (names, phone, email, state, timezone, password, bio) it names without copying: the trail is
# read by operators and kept longer than the records it describes.
AUDITED_VALUES = frozenset(
    {"sms_opt_in", "email_opt_in", "sms_alerts", "email_alerts", "accepting_new_patients", "is_active"}
)


def _audit_change(
    by: User | None, action: str, obj: Any, before: dict[str, Any], changed: Iterable[str]
) -> None:
    """Record which fields changed, with the old and new values of the ones safe to copy;
    `before` holds the old values (read before the change), `obj` the new ones."""
    names = sorted(set(changed))
    copied = [name for name in names if name in AUDITED_VALUES]
    audit_event_record(
        actor=by,
        action=action,
        obj=obj,
        before={name: before[name] for name in copied if name in before},
        after={"changed": names, **{name: getattr(obj, name) for name in copied}},
    )


def _licenses_state(specialist: Specialist) -> list[dict[str, str]]:
    """A specialist's licences as the trail keeps them: where, and until when."""
    return [
        {"state": lic.state, "expires_on": lic.expires_on.isoformat()}
        for lic in specialist.licenses.order_by("state")
    ]


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput("The password is too weak.", fields={"password": list(exc.messages)}) from exc


def _email_taken(email: str) -> InvalidInput:
    return InvalidInput(
        "An account with this email exists.",
        code="email_taken",
        fields={"email": ["Already registered."]},
    )


@transaction.atomic
def patient_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    phone: str,
    state: str,
    timezone: ZoneInfo,
    sms_opt_in: bool = False,
    email_opt_in: bool = True,
    language: str = Language.EN,
) -> tuple[User, IssuedToken]:
    email = email_normalized(email)
    # Everything else is checked before the email is looked up: a request that could not make
    # an account learns nothing about which emails have one.
    _check_password(password, User(email=email, first_name=first_name, last_name=last_name))
    if User.objects.filter(email=email).exists():
        raise _email_taken(email)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, first_name=first_name, last_name=last_name
            )
    except IntegrityError as exc:  # two registrations of one email racing
        raise _email_taken(email) from exc
    patient = Patient.objects.create(
        user=user,
        phone=phone,
        state=state,
        timezone=timezone,
        sms_opt_in=sms_opt_in,
        email_opt_in=email_opt_in,
        language=language,
    )
    audit_event_record(
        actor=user,
        action="patient.registered",
        obj=patient,
        before=None,
        after={"sms_opt_in": sms_opt_in, "email_opt_in": email_opt_in},
    )
    return user, token_create(user=user)


PATIENT_FIELDS = frozenset({"phone", "state", "timezone", "language", "sms_opt_in", "email_opt_in"})
# A specialist's phone and alerts of changes to their visits in the next 48 hours.
SPECIALIST_CONTACT_FIELDS = frozenset({"phone", "sms_alerts", "email_alerts"})
USER_FIELDS = frozenset({"first_name", "last_name"})


def _own_fields(user: User) -> frozenset[str]:
    if user.role == User.Role.PATIENT:
        return PATIENT_FIELDS
    if user.role == User.Role.SPECIALIST:
        return SPECIALIST_CONTACT_FIELDS
    return frozenset()


@transaction.atomic
def profile_update(*, user: User, changes: dict[str, Any], by: User | None = None) -> User:
    """Change a profile (the caller's own through `me/`; `by` another, an admin's, in the Django
    admin). Patients have contact details and consents, specialists a phone and their alerts.
    The audit trail names the fields that changed and copies only the consents."""
    person_changes = {k: v for k, v in changes.items() if k in PATIENT_FIELDS | SPECIALIST_CONTACT_FIELDS}
    refused = sorted(person_changes.keys() - _own_fields(user))
    if refused:
        raise InvalidInput(
            "These fields are not part of your profile.",
            fields={k: ["Not a field of this profile."] for k in refused},
        )
    by = by or user
    user_changes = {k: v for k, v in changes.items() if k in USER_FIELDS}
    if user_changes:
        for key, value in user_changes.items():
            setattr(user, key, value)
        user.save(update_fields=list(user_changes))
        _audit_change(by, "user.updated", user, {}, user_changes)
    if person_changes and user.role == User.Role.PATIENT:
        patient = Patient.objects.select_for_update().get(user=user)
        before = {name: getattr(patient, name) for name in person_changes}
        for key, value in person_changes.items():
            setattr(patient, key, value)
        patient.save(update_fields=list(person_changes))
        patient_contact_changed.send(sender=Patient, patient=patient, changed=frozenset(person_changes))
        _audit_change(by, "patient.updated", patient, before, person_changes)
    elif person_changes:
        specialist_update(specialist=user.specialist, changes=person_changes, by=by)
    return user


@transaction.atomic
def user_email_update(*, user: User, email: str, by: User | None = None) -> User:
    """Change the email one signs in with and is written to. A patient's messages not yet sent
    follow it in this transaction (`patient_contact_changed`), as they follow a new phone, and
    so do a specialist's alerts (`specialist_contact_changed`)."""
    email = email_normalized(email)
    if User.objects.filter(email=email).exclude(pk=user.pk).exists():
        raise _email_taken(email)
    user.email = email
    user.save(update_fields=["email"])
    patient = Patient.objects.select_for_update().filter(user=user).first()
    if patient is not None:
        patient.user = user
        patient_contact_changed.send(sender=Patient, patient=patient, changed=frozenset({"email"}))
    specialist = Specialist.objects.select_for_update().filter(user=user).first()
    if specialist is not None:
        specialist.user = user
        specialist_contact_changed.send(
            sender=Specialist, specialist=specialist, changed=frozenset({"email"})
        )
    _audit_change(by, "user.updated", user, {}, ["email"])
    return user


def _set_licenses(specialist: Specialist, licenses: Iterable[LicenseInput]) -> None:
    licenses = list(licenses)
    states = [lic.state for lic in licenses]
    if len(states) != len(set(states)):
        raise InvalidInput("One license per state.", fields={"licenses": ["A state appears twice."]})
    specialist.licenses.all().delete()
    StateLicense.objects.bulk_create(
        StateLicense(specialist=specialist, state=lic.state, number=lic.number, expires_on=lic.expires_on)
        for lic in licenses
    )


@transaction.atomic
def specialist_onboard(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    credentials: str = "",
    bio: str = "",
    timezone: ZoneInfo,
    specialties: Iterable[Specialty] = (),
    licenses: Iterable[LicenseInput] = (),
    accepting_new_patients: bool = True,
    visit_types: Iterable[VisitType] = (),
    by: User | None = None,
) -> Specialist:
    email = email_normalized(email)
    if User.objects.filter(email=email).exists():
        raise _email_taken(email)
    _check_password(password)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=User.Role.SPECIALIST,
            )
    except IntegrityError as exc:
        raise _email_taken(email) from exc
    specialist = Specialist.objects.create(
        user=user,
        credentials=credentials,
        bio=bio,
        timezone=timezone,
        accepting_new_patients=accepting_new_patients,
    )
    specialist.specialties.set(specialties)
    specialist.visit_types.set(visit_types)
    _set_licenses(specialist, licenses)
    audit_event_record(
        actor=by,
        action="specialist.onboarded",
        obj=specialist,
        before=None,
        after={
            "is_active": specialist.is_active,
            "accepting_new_patients": accepting_new_patients,
            "licenses": _licenses_state(specialist),
        },
    )
    return specialist


SPECIALIST_FIELDS = frozenset(
    {"credentials", "bio", "timezone", "accepting_new_patients", "is_active", *SPECIALIST_CONTACT_FIELDS}
)


@transaction.atomic
def specialist_update(
    *, specialist: Specialist, changes: dict[str, Any], by: User | None = None
) -> Specialist:
    """Change a specialist's account and profile. The audit trail names every field that
    changed (never a password, an email or a name), with the switches' and licences' states.
    A new phone or alerts choice reaches their alerts not yet sent in this transaction
    (`specialist_contact_changed`)."""
    specialist = Specialist.objects.select_for_update().select_related("user").get(pk=specialist.pk)
    before = {name: getattr(specialist, name) for name in AUDITED_VALUES if hasattr(specialist, name)}
    licenses_before = _licenses_state(specialist)
    # The login's email and password are never among them: a superuser changes those in the admin.
    user_changes: dict[str, Any] = {k: v for k, v in changes.items() if k in USER_FIELDS}
    if "is_active" in changes:
        # The login follows the specialist: its tokens end, its sessions no longer resolve to
        # the user (Django refuses an inactive one), and it cannot sign in until reactivated.
        user_changes["is_active"] = changes["is_active"]
        if not changes["is_active"]:
            user_tokens_revoke(user=specialist.user, reason="deactivated", actor=by)
    if user_changes:
        for key, value in user_changes.items():
            setattr(specialist.user, key, value)
        specialist.user.save(update_fields=list(user_changes))
    own_changes = {k: v for k, v in changes.items() if k in SPECIALIST_FIELDS}
    if own_changes:
        contact_before = {name: getattr(specialist, name) for name in SPECIALIST_CONTACT_FIELDS}
        for key, value in own_changes.items():
            setattr(specialist, key, value)
        if specialist.sms_alerts and not specialist.phone:
            raise InvalidInput(
                "Alerts by SMS need a phone number.", fields={"sms_alerts": ["Add a phone number first."]}
            )
        specialist.save(update_fields=list(own_changes))
        # The Alerts page and the admin pass every field, changed or not: only a change is news.
        contact_changed = frozenset(
            name for name, value in contact_before.items() if getattr(specialist, name) != value
        )
        if contact_changed:
            specialist_contact_changed.send(sender=Specialist, specialist=specialist, changed=contact_changed)
    if "specialties" in changes:
        specialist.specialties.set(changes["specialties"])
    if "visit_types" in changes:
        specialist.visit_types.set(changes["visit_types"])
    if "licenses" in changes:
        _set_licenses(specialist, changes["licenses"])
    _audit_change(by, "specialist.updated", specialist, before, changes)
    if "licenses" in changes:
        audit_event_record(
            actor=by,
            action="specialist.licenses_set",
            obj=specialist,
            before={"licenses": licenses_before},
            after={"licenses": _licenses_state(specialist)},
        )
    return specialist


@transaction.atomic
def visit_type_create(
    *, slug: str, name: str, duration_minutes: int, new_patient: bool = True, by: User | None = None
) -> VisitType:
    if VisitType.objects.filter(slug=slug).exists():
        raise InvalidInput("This slug is taken.", code="slug_taken", fields={"slug": ["Already exists."]})
    visit_type = VisitType.objects.create(
        slug=slug, name=name, duration_minutes=duration_minutes, new_patient=new_patient
    )
    audit_event_record(
        actor=by,
        action="visit_type.created",
        obj=visit_type,
        before=None,
        after={"slug": slug, "duration_minutes": duration_minutes, "new_patient": new_patient},
    )
    return visit_type


@transaction.atomic
def patients_sms_opt_in_by_phone(*, phone: str, opt_in: bool) -> list[Patient]:
    """STOP and START keywords arrive from a phone number: every patient with it follows."""
    patients = list(Patient.objects.select_for_update().filter(phone=phone))
    Patient.objects.filter(pk__in=[patient.pk for patient in patients]).update(sms_opt_in=opt_in)
    for patient in patients:
        before = {"sms_opt_in": patient.sms_opt_in}
        patient.sms_opt_in = opt_in
        _audit_change(None, "patient.updated", patient, before, ["sms_opt_in"])
    return patients
