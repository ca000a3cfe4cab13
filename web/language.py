"""The language the pages speak, and the switch that changes it.

A signed-in patient reads their profile's language (`Patient.language`, which their messages
speak too); anyone else Django's LocaleMiddleware's choice: the language cookie the switch sets,
else the browser's Accept-Language. The switch is Django's `set_language`; for a patient it
also saves the choice on the profile, so the next reminder speaks it as well.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from clinic.models import Language
from clinic.services import profile_update
from web.context import viewer_role


def patient_language(request: HttpRequest) -> str | None:
    """The signed-in patient's language; None for anyone else."""
    if viewer_role(request) != "patient":
        return None
    # `user.patient` stays cached on the user: the page's time zone (web.context) reads it too.
    patient = getattr(request.user, "patient", None)
    return patient.language if patient is not None else None


class PatientLanguageMiddleware:
    """After AuthenticationMiddleware, and after LocaleMiddleware, which then still names the
    language that answered in Content-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = patient_language(request)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """POST `language` (and `next`): Django's cookie and redirect, and a patient's profile."""
    language = request.POST.get("language", "")
    current = patient_language(request)
    if current is not None and language in Language.values and language != current:
        profile_update(user=request.user, changes={"language": language})  # type: ignore[arg-type]
    return set_language(request)
