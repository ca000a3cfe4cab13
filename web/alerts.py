"""The specialist's alerts page: by email and, with a phone, by SMS, when a visit in the next 48
hours is booked, cancelled or moved (notifications writes them), through the API's own validation
(`clinic.serializers.ProfileIn`) and `clinic.services.profile_update`, as PATCH `me/` does."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from clinic import serializers as clinic_serializers
from clinic.models import Specialist
from clinic.services import profile_update
from core.errors import DomainError
from web.forms import ApiCheckedForm
from web.specialist import INVALID, put_errors, specialist_page


class AlertsForm(ApiCheckedForm):
    """The alert fields of PATCH `me/`; the API's serializer (ProfileIn) checks them."""

    api_input = clinic_serializers.ProfileIn

    email_alerts = forms.BooleanField(
        label=_("Email me when a visit in the next 48 hours is booked, cancelled or moved"), required=False
    )
    sms_alerts = forms.BooleanField(
        label=_("Text me too (SMS)"),
        required=False,
        help_text=_("Needs the mobile phone below. Message and data rates may apply."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("With the country code, e.g. +12125550123."),
    )

    def api_data(self) -> dict[str, Any]:
        # An empty phone takes it away (the view sends ""): ProfileIn, whose phone is never
        # blank, checks one given.
        return {name: value for name, value in self.cleaned_data.items() if value != ""}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("sms_alerts") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Text alerts need a mobile phone."))
        return data


@require_http_methods(["GET", "HEAD", "POST"])
@specialist_page
def alerts(request: HttpRequest, specialist: Specialist) -> HttpResponse:
    if request.method == "POST":
        form = AlertsForm(request.POST)
        if form.is_valid():
            changes = {**form.validated, "phone": form.validated.get("phone") or ""}
            try:
                profile_update(user=specialist.user, changes=changes)
            except DomainError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Your alerts are saved."))
                return redirect("web:alerts")
        return render(request, "web/specialist/alerts.html", {"form": form}, status=INVALID)
    initial = {
        "email_alerts": specialist.email_alerts,
        "sms_alerts": specialist.sms_alerts,
        "phone": str(specialist.phone),
    }
    return render(request, "web/specialist/alerts.html", {"form": AlertsForm(initial=initial)})
