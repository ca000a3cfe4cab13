"""Caregivers' pages: the patient's (who they named, whether each agreed yet; add one, remove
one), through `clinic.caregivers` and the API's own validation (`clinic.serializers.CaregiverIn`);
and the consent page a caregiver's email links to (no sign-in: the link's token is the
caregiver's key), where they agree to the patient's visit messages or stop them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic import serializers as clinic_serializers
from clinic.caregivers import caregiver_add, caregiver_consent_email, caregiver_remove, caregiver_stop_email
from clinic.selectors import caregiver_by_token, caregiver_list
from core.errors import DomainError
from web.accounts import INVALID
from web.forms import ApiCheckedForm
from web.patient import errors_from, patient_required, signed_in_patient


class CaregiverForm(ApiCheckedForm):
    """The fields of POST `me/caregivers/`; the API's serializer (CaregiverIn) checks them."""

    api_input = clinic_serializers.CaregiverIn

    name = forms.CharField(label=_("Name"), max_length=100)
    relationship = forms.CharField(
        label=_("Relationship to you"), max_length=50, required=False, help_text=_("For example: daughter.")
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text=_("With the country code. We text them once; they get messages only after replying YES."),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("We email them a link; they get emails only after agreeing there."),
    )

    def api_data(self) -> dict[str, Any]:
        # An empty phone or email is one not given (the serializer wants one of the two).
        return {name: value for name, value in self.cleaned_data.items() if value != ""}


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def caregivers(request: HttpRequest) -> HttpResponse:
    """The patient's caregivers, and a form to name one."""
    patient = signed_in_patient(request)
    assert patient is not None
    form = CaregiverForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            fields = form.validated
            try:
                caregiver_add(
                    patient=patient,
                    name=fields["name"],
                    relationship=fields["relationship"],
                    phone=str(fields.get("phone") or ""),
                    email=fields.get("email") or "",
                )
            except DomainError as exc:
                errors_from(form, exc)
            else:
                messages.success(request, _("Added. They get messages once they agree."))
                return redirect("web:caregivers")
        status = INVALID
    else:
        status = 200
    context = {"caregivers": caregiver_list(patient=patient), "form": form}
    return render(request, "web/caregivers/list.html", context, status=status)


@patient_required
@require_POST
def caregiver_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the patient's caregivers (another patient's: 404)."""
    patient = signed_in_patient(request)
    assert patient is not None
    caregiver = get_object_or_404(caregiver_list(patient=patient), pk=pk)
    caregiver_remove(caregiver=caregiver, by=patient.user)
    messages.success(request, _("Removed. They get no more messages."))
    return redirect("web:caregivers")


CONSENT = "web/caregivers/consent.html"


@require_http_methods(["GET", "HEAD", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the caregiver agrees to, with a button to agree and one to stop. POST (`agree`
    or `stop`, the button pressed): record it, then show the page as it now is."""
    caregiver = caregiver_by_token(token)
    if caregiver is None:
        return render(request, "web/caregivers/not_found.html", status=404)
    done = ""
    if request.method == "POST":
        try:
            if "stop" in request.POST:
                caregiver_stop_email(token=token)
                done = "stopped"
            else:
                caregiver_consent_email(token=token)
                done = "agreed"
        except DomainError:
            pass  # stopped already: the page says so
        caregiver.refresh_from_db()
    context = {
        "caregiver": caregiver,
        "patient_name": caregiver.patient.user.first_name,
        "token": token,
        "done": done,
    }
    # In the patient's language: the one the caregiver's messages speak.
    with translation.override(caregiver.patient.language):
        return render(request, CONSENT, context)
