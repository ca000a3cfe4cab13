"""Django admin for people and the catalogue."""

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from knox.models import AuthToken

from clinic.models import Patient, Specialist, Specialty, StateLicense, User, VisitType
from clinic.services import (
    PATIENT_FIELDS,
    SPECIALIST_FIELDS,
    profile_update,
    specialist_update,
    user_email_update,
    user_tokens_revoke,
)
from core.admin import Audited
from core.emails import email_normalized

# API tokens never appear in the Django admin: knox's page lists every token's digest and user,
# and its add form makes a token and shows it to whoever is signed in there.
admin.site.unregister(AuthToken)


class PasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        # A new password ends the user's tokens through Django's `password_changed`
        # (clinic.authentication); turning password sign-in off does not go through it.
        user = super().save(commit)
        if commit and not user.has_usable_password():
            user_tokens_revoke(user=user, reason="password_disabled")
        return user


def _is_superuser(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


def _may_touch(request: HttpRequest, user: User | None) -> bool:
    """Whether the caller may change or delete this account: an admin's or a specialist's (who
    reads every reason for visit of their patients) only if a superuser."""
    powerful = user is not None and (
        user.is_superuser or user.role in (User.Role.ADMIN, User.Role.SPECIALIST)
    )
    return not powerful or _is_superuser(request)


class UserForm(UserChangeForm):
    def clean_email(self) -> str:
        # Stored lower-cased, as registration stores it, so the uniqueness check sees a case
        # variant of a taken email.
        return email_normalized(str(self.cleaned_data["email"]))


@admin.register(User)
class UserAdmin(Audited, BaseUserAdmin):
    form = UserForm
    change_password_form = PasswordChangeForm
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
        messages not yet sent are re-addressed in this transaction; a user made inactive here
        loses their API tokens too, as through the API."""
        if change and "email" in form.changed_data:
            user_email_update(user=obj, email=obj.email, by=request.user)  # type: ignore[arg-type]
        super().save_model(request, obj, form, change)
        if not (change and "is_active" in form.changed_data):
            return
        specialist = Specialist.objects.filter(user=obj).first()
        if specialist is not None:  # the specialist's own switch follows, so search stops offering them
            specialist_update(specialist=specialist, changes={"is_active": obj.is_active}, by=request.user)  # type: ignore[arg-type]
        elif not obj.is_active:
            user_tokens_revoke(user=obj, reason="deactivated", actor=cast(User, request.user))

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # Setting someone else's password is taking their account over: a superuser's act only.
        if not _is_superuser(request) and str(getattr(request.user, "pk", "")) != str(id):
            raise PermissionDenied
        # The new password and the end of the user's tokens (clinic.authentication) commit together.
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    # Only a superuser grants power or touches an admin's account. Staff allowed to change users
    # could otherwise make themselves (or a friend) an API admin or a superuser, or take over an
    # admin's login by setting its password or email.
    PRIVILEGES = ("role", "is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return fields if _is_superuser(request) else (*fields, *self.PRIVILEGES)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_touch(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_touch(request, obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> Any:
        # The bulk delete asks for the delete permission without looking at whom it deletes.
        actions = super().get_actions(request)
        if not _is_superuser(request):
            actions.pop("delete_selected", None)
        return actions


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
