"""The specialist's alerts page: by email and, with a phone, by SMS, when a visit in the next 48
hours is booked, cancelled or moved (notifications writes them), through
`clinic.services.profile_update` as PATCH `me/` does."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from phonenumber_field.formfields import PhoneNumberField

from clinic.models import Specialist
from clinic.services import profile_update
from core.errors import DomainError
from web.specialist import INVALID, put_errors, specialist_page


class AlertsForm(forms.Form):
    email_alerts = forms.BooleanField(
        label=_("Email me when a visit in the next 48 hours is booked, cancelled or moved"), required=False
    )
    sms_alerts = forms.BooleanField(
        label=_("Text me too (SMS)"),
        required=False,
        help_text=_("Needs the mobile phone below. Message and data rates may apply."),
    )
    phone = PhoneNumberField(
        label=_("Mobile phone"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("With the country code, e.g. +12125550123."),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("sms_alerts") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Text alerts need a mobile phone."))
        return data


@require_http_methods(["GET", "HEAD", "POST"])
@specialist_page
def alerts(request: HttpRequest, specialist: Specialist) -> HttpResponse:
    if request.method == "POST":
        form = AlertsForm(request.POST)
        if form.is_valid():
            changes = {
                "email_alerts": form.cleaned_data["email_alerts"],
                "sms_alerts": form.cleaned_data["sms_alerts"],
                "phone": form.cleaned_data["phone"] or "",
            }
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
