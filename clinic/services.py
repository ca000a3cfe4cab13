"""State changes of people and the catalogue: registration, profiles, onboarding specialists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from clinic.models import Patient, Specialist, Specialty, StateLicense, User, VisitType
from clinic.signals import patient_contact_changed
from core.errors import InvalidInput


@dataclass(frozen=True)
class LicenseInput:
    state: str
    number: str
    expires_on: dt.date


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
) -> tuple[User, Token]:
    email = email.strip().lower()
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
    Patient.objects.create(
        user=user,
        phone=phone,
        state=state,
        timezone=timezone,
        sms_opt_in=sms_opt_in,
        email_opt_in=email_opt_in,
    )
    return user, Token.objects.create(user=user)


def token_obtain(*, email: str, password: str) -> Token:
    user = authenticate(username=email.strip().lower(), password=password)
    if user is None:
        raise InvalidInput("Wrong email or password.", code="invalid_credentials")
    token, _ = Token.objects.get_or_create(user=user)
    return token


PATIENT_FIELDS = frozenset({"phone", "state", "timezone", "sms_opt_in", "email_opt_in"})
USER_FIELDS = frozenset({"first_name", "last_name"})


@transaction.atomic
def profile_update(*, user: User, changes: dict[str, Any]) -> User:
    """Change the caller's own profile. Only patients have contact details and consents."""
    patient_changes = {k: v for k, v in changes.items() if k in PATIENT_FIELDS}
    if patient_changes and user.role != User.Role.PATIENT:
        raise InvalidInput(
            "Only patients have contact details and consents.",
            fields={k: ["Only patients have this field."] for k in patient_changes},
        )
    user_changes = {k: v for k, v in changes.items() if k in USER_FIELDS}
    if user_changes:
        for key, value in user_changes.items():
            setattr(user, key, value)
        user.save(update_fields=list(user_changes))
    if patient_changes:
        patient = Patient.objects.select_for_update().get(user=user)
        for key, value in patient_changes.items():
            setattr(patient, key, value)
        patient.save(update_fields=list(patient_changes))
        patient_contact_changed.send(sender=Patient, patient=patient, changed=frozenset(patient_changes))
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
) -> Specialist:
    email = email.strip().lower()
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
    Token.objects.create(user=user)
    return specialist


SPECIALIST_FIELDS = frozenset({"credentials", "bio", "timezone", "accepting_new_patients", "is_active"})


@transaction.atomic
def specialist_update(*, specialist: Specialist, changes: dict[str, Any]) -> Specialist:
    specialist = Specialist.objects.select_for_update().select_related("user").get(pk=specialist.pk)
    user_changes = {k: v for k, v in changes.items() if k in USER_FIELDS | {"email"}}
    if "email" in user_changes:
        user_changes["email"] = user_changes["email"].strip().lower()
        if User.objects.filter(email=user_changes["email"]).exclude(pk=specialist.user_id).exists():
            raise _email_taken(user_changes["email"])
    if "password" in changes:
        _check_password(changes["password"], specialist.user)
        specialist.user.set_password(changes["password"])
        user_changes["password"] = specialist.user.password
    if "is_active" in changes:
        # The login follows the specialist: an inactive user's token answers 401, its sessions
        # no longer resolve to the user, and it cannot sign in again until reactivated.
        user_changes["is_active"] = changes["is_active"]
        if not changes["is_active"]:
            Token.objects.filter(user=specialist.user).delete()
    if user_changes:
        for key, value in user_changes.items():
            setattr(specialist.user, key, value)
        specialist.user.save(update_fields=list(user_changes))
    own_changes = {k: v for k, v in changes.items() if k in SPECIALIST_FIELDS}
    if own_changes:
        for key, value in own_changes.items():
            setattr(specialist, key, value)
        specialist.save(update_fields=list(own_changes))
    if "specialties" in changes:
        specialist.specialties.set(changes["specialties"])
    if "visit_types" in changes:
        specialist.visit_types.set(changes["visit_types"])
    if "licenses" in changes:
        _set_licenses(specialist, changes["licenses"])
    return specialist


@transaction.atomic
def visit_type_create(*, slug: str, name: str, duration_minutes: int, new_patient: bool = True) -> VisitType:
    if VisitType.objects.filter(slug=slug).exists():
        raise InvalidInput("This slug is taken.", code="slug_taken", fields={"slug": ["Already exists."]})
    return VisitType.objects.create(
        slug=slug, name=name, duration_minutes=duration_minutes, new_patient=new_patient
    )


@transaction.atomic
def patient_sms_opt_in_set(*, patient: Patient, opt_in: bool) -> None:
    Patient.objects.filter(pk=patient.pk).update(sms_opt_in=opt_in)
    patient.sms_opt_in = opt_in


@transaction.atomic
def patients_sms_opt_in_by_phone(*, phone: str, opt_in: bool) -> list[Patient]:
    """STOP and START keywords arrive from a phone number: every patient with it follows."""
    patients = list(Patient.objects.select_for_update().filter(phone=phone))
    Patient.objects.filter(pk__in=[patient.pk for patient in patients]).update(sms_opt_in=opt_in)
    for patient in patients:
        patient.sms_opt_in = opt_in
    return patients
