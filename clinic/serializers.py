"""Shapes of the accounts and catalogue API: what comes in, what goes out. No logic."""

from __future__ import annotations

from typing import Any

from django.core.validators import slug_re
from django.utils import timezone
from localflavor.us.us_states import US_STATES
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from timezone_field.rest_framework import TimeZoneSerializerField

from clinic.models import Specialist, Specialty, User, VisitType
from core.api.fields import id_field


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


class RegisterOut(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField()


class TokenIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class ProfileOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    state = serializers.CharField(allow_null=True)
    timezone = serializers.CharField(allow_null=True)
    sms_opt_in = serializers.BooleanField(allow_null=True)
    email_opt_in = serializers.BooleanField(allow_null=True)

    def to_representation(self, user: User) -> dict[str, Any]:
        patient = getattr(user, "patient", None)
        specialist = getattr(user, "specialist", None)
        tz = patient.timezone if patient else specialist.timezone if specialist else None
        return {
            "id": user.pk,
            "email": user.email,
            "role": user.role,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": str(patient.phone) if patient and patient.phone else None,
            "state": patient.state if patient else None,
            "timezone": str(tz) if tz else None,
            "sms_opt_in": patient.sms_opt_in if patient else None,
            "email_opt_in": patient.email_opt_in if patient else None,
        }


class ProfileIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    phone = PhoneNumberField(required=False)
    state = serializers.ChoiceField(choices=US_STATES, required=False)
    timezone = TimeZoneField(required=False)
    sms_opt_in = serializers.BooleanField(required=False)
    email_opt_in = serializers.BooleanField(required=False)


class SpecialtyOut(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "slug", "name"]


class VisitTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitType
        fields = ["id", "slug", "name", "duration_minutes", "new_patient"]
        read_only_fields = ["id"]
        # Uniqueness is the service's to check (code slug_taken), not the serializer's.
        extra_kwargs: dict[str, dict[str, Any]] = {"slug": {"validators": []}}


class LicenseSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=US_STATES)
    number = serializers.CharField(max_length=40)
    expires_on = serializers.DateField()


class SpecialistOut(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    credentials = serializers.CharField()
    bio = serializers.CharField()
    timezone = serializers.CharField()
    specialties = serializers.ListField(child=serializers.SlugField())
    licensed_states = serializers.ListField(child=serializers.CharField())
    accepting_new_patients = serializers.BooleanField()
    visit_types = serializers.ListField(child=serializers.IntegerField())
    email = serializers.EmailField(allow_null=True, help_text="Admins only; null for others.")
    licenses = serializers.ListField(
        child=LicenseSerializer(), allow_null=True, help_text="Admins only; null for others."
    )

    def to_representation(self, specialist: Specialist) -> dict[str, Any]:
        today = timezone.localdate()
        licenses = list(specialist.licenses.all())
        show_private = self.context.get("show_private", False)
        return {
            "id": specialist.pk,
            "first_name": specialist.user.first_name,
            "last_name": specialist.user.last_name,
            "credentials": specialist.credentials,
            "bio": specialist.bio,
            "timezone": str(specialist.timezone),
            "specialties": sorted(s.slug for s in specialist.specialties.all()),
            "licensed_states": sorted(lic.state for lic in licenses if lic.expires_on >= today),
            "accepting_new_patients": specialist.accepting_new_patients,
            "visit_types": sorted(v.pk for v in specialist.visit_types.all()),
            "email": specialist.user.email if show_private else None,
            "licenses": [
                {"state": lic.state, "number": lic.number, "expires_on": lic.expires_on.isoformat()}
                for lic in licenses
            ]
            if show_private
            else None,
        }


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


class SpecialistPatch(SpecialistIn):
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)
