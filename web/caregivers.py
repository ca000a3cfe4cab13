"""Caregivers' pages: the consent page a caregiver's email links to (no sign-in: the link's
token is the caregiver's key), where they agree to the patient's visit messages or stop them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from clinic.caregivers import caregiver_consent_email, caregiver_stop_email
from clinic.selectors import caregiver_by_token
from core.errors import DomainError

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
