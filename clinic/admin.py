"""Django admin for people and the catalogue."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest

from clinic.models import Patient, Specialist, Specialty, StateLicense, User, VisitType
from clinic.services import (
    PATIENT_FIELDS,
    SPECIALIST_FIELDS,
    profile_update,
    specialist_update,
    user_email_update,
)
from core.admin import Audited


class UserForm(UserChangeForm):
    def clean_email(self) -> str:
        # Stored lower-cased, as registration stores it, so the uniqueness check sees a case
        # variant of a taken email.
        return str(self.cleaned_data["email"]).strip().lower()


@admin.register(User)
class UserAdmin(Audited, BaseUserAdmin):
    form = UserForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "role")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """A corrected email goes through the service, as through the API, so a patient's
        messages not yet sent are re-addressed in this transaction."""
        if change and "email" in form.changed_data:
            user_email_update(user=obj, email=obj.email, by=request.user)  # type: ignore[arg-type]
        super().save_model(request, obj, form, change)


@admin.register(Patient)
class PatientAdmin(Audited, admin.ModelAdmin):
    list_display = ["user", "state", "timezone", "sms_opt_in", "email_opt_in"]
    list_filter = ["state", "sms_opt_in", "email_opt_in"]
    search_fields = ["user__email", "user__last_name", "phone"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        """Contact details and consents change through the service, as through `me/`, so the
        patient's waiting messages follow them (a new phone re-addresses them, an opt-out skips
        them)."""
        contact = {name: form.cleaned_data[name] for name in form.changed_data if name in PATIENT_FIELDS}
        if not (change and contact):
            super().save_model(request, obj, form, change)
            return
        profile_update(user=obj.user, changes=contact, by=request.user)  # type: ignore[arg-type]
        rest = [name for name in form.changed_data if name not in contact]
        if rest:
            obj.save(update_fields=rest)


class StateLicenseInline(admin.TabularInline):
    model = StateLicense
    extra = 0


@admin.register(Specialist)
class SpecialistAdmin(Audited, admin.ModelAdmin):
    list_display = ["__str__", "timezone", "accepting_new_patients", "is_active"]
    list_filter = ["is_active", "accepting_new_patients", "specialties", "licenses__state"]
    search_fields = ["user__email", "user__last_name", "user__first_name"]
    list_select_related = ["user"]
    filter_horizontal = ["specialties", "visit_types"]
    raw_id_fields = ["user"]
    inlines = [StateLicenseInline]

    def save_model(self, request: HttpRequest, obj: Specialist, form: Any, change: bool) -> None:
        """Profile changes go through the service, as through the API, so deactivating here too
        ends the account's tokens and sign-ins, and the trail records the change."""
        profile = {name: form.cleaned_data[name] for name in form.changed_data if name in SPECIALIST_FIELDS}
        if not (change and profile):
            super().save_model(request, obj, form, change)
            return
        specialist_update(specialist=obj, changes=profile, by=request.user)  # type: ignore[arg-type]
        rest = [
            name
            for name in form.changed_data
            if name not in profile and name not in ("specialties", "visit_types")
        ]
        if rest:
            obj.save(update_fields=rest)  # the many-to-many fields are the admin's save_related's


@admin.register(StateLicense)
class StateLicenseAdmin(Audited, admin.ModelAdmin):
    list_display = ["specialist", "state", "number", "expires_on"]
    list_filter = ["state", "expires_on"]
    search_fields = ["number", "specialist__user__last_name"]
    list_select_related = ["specialist__user"]


@admin.register(Specialty)
class SpecialtyAdmin(Audited, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(VisitType)
class VisitTypeAdmin(Audited, admin.ModelAdmin):
    list_display = ["name", "slug", "duration_minutes", "new_patient"]
    list_filter = ["new_patient"]
    search_fields = ["name", "slug"]
