"""Shapes of the accounts and catalogue API: what comes in, what goes out. No logic."""

from __future__ import annotations

from typing import Any

from django.core.validators import slug_re
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from localflavor.us.us_states import US_STATES
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from timezone_field.rest_framework import TimeZoneSerializerField

from clinic.models import Caregiver, Language, Specialist, Specialty, User, VisitType
from core.api.fields import id_field
from core.api.shapes import Shape


class VisitTypeRef(serializers.PrimaryKeyRelatedField):
    """A visit type, by id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=VisitType.objects.all(), pk_field=id_field(), **kwargs)


class SpecialtyRef(serializers.SlugRelatedField):
    """A specialty, by slug.

    Only a well-formed slug is looked up: PostgreSQL refuses a NUL in a query parameter with a
    DataError, which the related field does not catch, so the error would lose the field's name.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", queryset=Specialty.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not slug_re.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class TimeZoneField(TimeZoneSerializerField):
    """An IANA time zone name, e.g. `America/New_York`.

    The name is checked against the zone list before `ZoneInfo()` sees it: given a path
    (`../../etc/passwd`, `America/`), a NUL or a very long name, `ZoneInfo()` raises ValueError
    or OSError rather than "not found", which the library field does not catch.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "An IANA time zone name, e.g. `America/New_York`.")
        super().__init__(use_pytz=False, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or data not in self.tz_backend.all_tzstrs:
            self.fail("invalid")
        return super().to_internal_value(data)


class RegisterIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone = PhoneNumberField()
    state = serializers.ChoiceField(choices=US_STATES)
    timezone = TimeZoneField()
    sms_opt_in = serializers.BooleanField(default=False)
    email_opt_in = serializers.BooleanField(default=True)


class RegisterOut(Shape):
    id = serializers.IntegerField()
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)


class TokenOut(Shape):
    token = serializers.CharField(help_text="Shown once: send it as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(help_text="Fixed at sign-in; using the token does not extend it.")


class ProfileOut(Shape):
    # A patient's contact details and consents, a specialist's phone and alerts; null for the
    # fields of the other roles.

    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone = serializers.SerializerMethodField()
    state = serializers.CharField(source="patient.state", allow_null=True)
    timezone = serializers.SerializerMethodField()
    language = serializers.ChoiceField(choices=Language.choices, source="patient.language", allow_null=True)
    sms_opt_in = serializers.BooleanField(source="patient.sms_opt_in", allow_null=True)
    email_opt_in = serializers.BooleanField(source="patient.email_opt_in", allow_null=True)
    sms_alerts = serializers.BooleanField(
        source="specialist.sms_alerts",
        allow_null=True,
        help_text="Specialists: visits changed in the next 48 h.",
    )
    email_alerts = serializers.BooleanField(source="specialist.email_alerts", allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_phone(self, user: User) -> str | None:
        person = getattr(user, "patient", None) or getattr(user, "specialist", None)
        return str(person.phone) if person and person.phone else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_timezone(self, user: User) -> str | None:
        person = getattr(user, "patient", None) or getattr(user, "specialist", None)
        return str(person.timezone) if person else None


class ProfileIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    phone = PhoneNumberField(required=False)
    state = serializers.ChoiceField(choices=US_STATES, required=False)
    timezone = TimeZoneField(required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    sms_opt_in = serializers.BooleanField(required=False)
    email_opt_in = serializers.BooleanField(required=False)
    sms_alerts = serializers.BooleanField(required=False, help_text="Specialists only.")
    email_alerts = serializers.BooleanField(required=False, help_text="Specialists only.")


class SpecialtyOut(Shape):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)


class VisitTypeIn(serializers.Serializer):
    # Uniqueness of the slug is the service's to check (code slug_taken).
    slug = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480)
    new_patient = serializers.BooleanField(required=False, default=True)


class VisitTypeOut(Shape):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480)
    new_patient = serializers.BooleanField()


class LicenseSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=US_STATES)
    number = serializers.CharField(max_length=40)
    expires_on = serializers.DateField()


class SpecialistOut(Shape):
    # `email`, `licenses`, `phone` and the alerts only for admins (the view puts `show_private`
    # in the context).

    id = serializers.IntegerField(source="pk")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    credentials = serializers.CharField()
    bio = serializers.CharField()
    timezone = serializers.CharField()
    specialties = serializers.SerializerMethodField()
    licensed_states = serializers.SerializerMethodField()
    accepting_new_patients = serializers.BooleanField()
    visit_types = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField(help_text="Admins only; null for others.")
    licenses = serializers.SerializerMethodField(help_text="Admins only; null for others.")
    phone = serializers.SerializerMethodField(help_text="Admins only; null for others.")
    sms_alerts = serializers.SerializerMethodField(help_text="Admins only; null for others.")
    email_alerts = serializers.SerializerMethodField(help_text="Admins only; null for others.")

    def _private(self) -> bool:
        return bool(self.context.get("show_private", False))

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_specialties(self, specialist: Specialist) -> list[str]:
        return sorted(s.slug for s in specialist.specialties.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_licensed_states(self, specialist: Specialist) -> list[str]:
        today = timezone.localdate()
        return sorted(lic.state for lic in specialist.licenses.all() if lic.expires_on >= today)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_visit_types(self, specialist: Specialist) -> list[int]:
        return sorted(v.pk for v in specialist.visit_types.all())

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, specialist: Specialist) -> str | None:
        return specialist.user.email if self._private() else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_phone(self, specialist: Specialist) -> str | None:
        return str(specialist.phone) if self._private() and specialist.phone else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_sms_alerts(self, specialist: Specialist) -> bool | None:
        return specialist.sms_alerts if self._private() else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_email_alerts(self, specialist: Specialist) -> bool | None:
        return specialist.email_alerts if self._private() else None

    @extend_schema_field(LicenseSerializer(many=True, allow_null=True))
    def get_licenses(self, specialist: Specialist) -> list[dict[str, Any]] | None:
        if not self._private():
            return None
        return list(LicenseSerializer(specialist.licenses.all(), many=True).data)


class SpecialistSearch(serializers.Serializer):
    specialty = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="A slug.")
    state = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="Licensed there today."
    )
    accepting_new_patients = serializers.BooleanField(required=False, allow_null=True, default=None)


class SpecialistIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    credentials = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    bio = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    timezone = TimeZoneField()
    # ListField, not `many=True`: a related field's `many` takes any iterable, so `{}` would
    # pass as an empty list and clear the specialties.
    specialties = serializers.ListField(
        child=SpecialtyRef(),
        required=False,
        help_text="Specialty slugs.",
    )
    licenses = LicenseSerializer(many=True, required=False)
    accepting_new_patients = serializers.BooleanField(required=False, default=True)
    visit_types = serializers.ListField(child=VisitTypeRef(), required=False, help_text="Visit type ids.")


# A specialist's login is theirs: an admin who could set another user's email or password could
# sign in as them (and through them read their patients' reasons for visit).
LOGIN_FIELDS = ("email", "password")


class SpecialistPatch(SpecialistIn):
    # Validated with `partial=True`: only the fields given change. The login's email and
    # password are not fields here; given, they answer 400 naming them rather than being
    # ignored, so no client believes it changed them.

    email = None  # type: ignore[assignment]
    password = None  # type: ignore[assignment]
    is_active = serializers.BooleanField(required=False)
    phone = PhoneNumberField(required=False, allow_blank=True)
    sms_alerts = serializers.BooleanField(required=False)
    email_alerts = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refused = {
            name: [
                "A login's email and password are not changed through the API: a clinic superuser changes them in the Django admin."
            ]
            for name in LOGIN_FIELDS
            if name in self.initial_data
        }
        if refused:
            raise serializers.ValidationError(refused, code="read_only")
        return attrs


class CaregiverIn(serializers.Serializer):
    # A caregiver's contact is never changed afterwards (a consent belongs to the address that
    # gave it): to re-address one, remove them and add them again.

    name = serializers.CharField(max_length=100)
    relationship = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = PhoneNumberField(
        required=False, help_text="E.164, e.g. +12125550123. Gets messages once it replied YES."
    )
    email = serializers.EmailField(
        max_length=254, required=False, help_text="Gets messages once it consented by its email's link."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("phone") and not attrs.get("email"):
            message = _("Give a phone number or an email address.")
            raise serializers.ValidationError({"phone": [message], "email": [message]}, code="required")
        return attrs


class CaregiverInSchema(OpenApiSerializerExtension):
    # Neither field is required alone, one of them is: the schema says so (`anyOf`), so that a
    # client generated from it knows, rather than learning it from a 400.
    target_class = CaregiverIn

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["anyOf"] = [{"required": ["phone"]}, {"required": ["email"]}]
        return schema


class CaregiverOut(Shape):
    id = serializers.IntegerField()
    name = serializers.CharField()
    relationship = serializers.CharField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Caregiver.Status.choices)
    consented_at = serializers.DateTimeField(
        allow_null=True, help_text="When the first of the caregiver's addresses consented; null before."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_phone(self, caregiver: Caregiver) -> str | None:
        return str(caregiver.phone) if caregiver.phone else None

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, caregiver: Caregiver) -> str | None:
        return caregiver.email or None
