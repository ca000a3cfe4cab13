"""The patient's profile page: name, phone, state, time zone, language and the message choices, through
the API's own validation (`clinic.serializers.ProfileIn`) and `clinic.services.profile_update`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from localflavor.us.us_states import US_STATES

from clinic import serializers as clinic_serializers
from clinic.models import Patient
from clinic.services import profile_update
from core.errors import DomainError
from notifications.services.consent import phone_blocked
from web.accounts import INVALID, zone_choices
from web.forms import ApiCheckedForm
from web.patient import errors_from, patient_required, set_choices, signed_in_patient
from web.widgets import LongSelect


class ProfileForm(ApiCheckedForm):
    """The fields of PATCH `me/`; the API's serializer (ProfileIn) checks them."""

    api_input = clinic_serializers.ProfileIn

    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("With the country code, e.g. +12125550123. Text reminders go to this number."),
    )
    state = forms.ChoiceField(
        label=_("State you live in"),
        choices=US_STATES,
        help_text=_("Searches show specialists licensed in this state."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        widget=LongSelect,
        help_text=_("Every time on these pages and in your messages is shown in it."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of these pages and of your messages."),
    )
    email_opt_in = forms.BooleanField(
        label=_("Email me confirmations and reminders"),
        required=False,
        help_text=_("Opting out of email stops confirmations and reminders by email."),
    )
    sms_opt_in = forms.BooleanField(
        label=_("Text me reminders (SMS)"),
        required=False,
        help_text=_(
            "Opting out of SMS stops reminders by SMS, at once, including those already planned. "
            "Message and data rates may apply."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "timezone", zone_choices())


def _changed(patient: Patient, validated: dict[str, Any]) -> dict[str, Any]:
    """What the form changes: the page sends every field, PATCH `me/` only those it changes, and
    the audit trail and the messages waiting to be sent should see only real changes."""
    current = {
        name: getattr(patient.user if name in ("first_name", "last_name") else patient, name)
        for name in validated
    }
    return {name: value for name, value in validated.items() if str(value) != str(current[name])}


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    patient = signed_in_patient(request)
    assert patient is not None
    user = patient.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                profile_update(user=user, changes=_changed(patient, form.validated))
            except DomainError as exc:
                errors_from(form, exc)
            else:
                # The rest of this answer, the message included, speaks the language just chosen.
                translation.activate(form.validated["language"])
                messages.success(request, _("Your profile is saved."))
                return redirect("web:profile")
        return render(request, "web/patient/profile.html", _context(patient, form), status=INVALID)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": str(patient.phone),
        "state": patient.state,
        "timezone": str(patient.timezone),
        "language": patient.language,
        "email_opt_in": patient.email_opt_in,
        "sms_opt_in": patient.sms_opt_in,
    }
    return render(request, "web/patient/profile.html", _context(patient, ProfileForm(initial=initial)))


def _context(patient: Patient, form: ProfileForm) -> dict[str, Any]:
    # A number that replied STOP is blocked by Twilio whatever the box says: only START lifts it.
    return {"form": form, "number_blocked": patient.sms_opt_in and phone_blocked(str(patient.phone))}
