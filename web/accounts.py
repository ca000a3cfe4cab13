"""Session accounts for people: sign in, sign out and password reset (Django's views with the
project's templates), and a patient's sign-up through the same service and input rules as
`POST auth/register/`."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from localflavor.us.us_states import US_STATES

from clinic import serializers, services
from core.api import throttling
from core.emails import email_normalized
from core.errors import DomainError
from web.forms import ApiCheckedForm
from web.widgets import LongSelect

# A form the browser sent wrong answers 400, with the form and its errors again.
INVALID = 400
TOO_MANY = 429


def _refused_for(request: HttpRequest, *throttles: Any, email: str | None = None) -> int | None:
    """The seconds to wait when one of the API's throttles refuses this request, else None: the
    pages take passwords too, so they count against the same limits as `auth/token/` and
    `auth/register/` (per address, per account, registrations per address)."""
    waits = []
    for throttle_class in throttles:
        throttle = throttle_class()
        # The per-account throttle reads the email from `data`, as the API's body carries it.
        subject = SimpleNamespace(data={"email": email}) if email is not None else request
        if not throttle.allow_request(
            subject if throttle_class is throttling.AccountThrottle else request, None
        ):
            waits.append(int(throttle.wait() or 60))
    return max(waits) if waits else None


def _too_many(request: HttpRequest, template: str, form: forms.Form, wait: int) -> HttpResponse:
    minutes = max(1, -(-wait // 60))
    form.add_error(
        None,
        ngettext(
            "Too many attempts from here: try again in %(minutes)d minute.",
            "Too many attempts from here: try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
    )
    response = render(request, template, {"form": form}, status=TOO_MANY)
    response["Retry-After"] = str(wait)
    return response


class SignInForm(AuthenticationForm):
    """Django's sign-in form (it calls `authenticate(request, ...)`, so the lockout applies)."""

    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        # Stored as core.emails spells them, as the API's sign-in reads them (token_obtain).
        return email_normalized(str(self.cleaned_data["username"]))


class SignInView(auth_views.LoginView):
    template_name = "web/accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = request.POST.get("username", "")
        wait = _refused_for(
            request,
            throttling.AuthThrottle,
            throttling.AccountThrottle,
            email=email if isinstance(email, str) else "",
        )
        if wait is not None:
            form = self.get_form()
            return _too_many(request, self.template_name, form, wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = INVALID
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/accounts/password_reset.html"
    email_template_name = "web/accounts/password_reset_email.txt"
    subject_template_name = "web/accounts/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Each request may send an email: counted per address, as sign-ins are.
        wait = _refused_for(request, throttling.AuthThrottle)
        if wait is not None:
            return _too_many(request, self.template_name, self.get_form(), wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # Django's form_valid with the link on PUBLIC_BASE_URL, as every link in the clinic's
        # messages, never on the request's Host; the email names the clinic.
        public = urlsplit(settings.PUBLIC_BASE_URL)
        form.save(
            domain_override=public.netloc,
            use_https=public.scheme == "https",
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context={"site_name": settings.CLINIC_NAME},
        )
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = INVALID
        return response


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone a person lives in, for a select (read once: listing them reads the zone
    database from disk, about 10 ms)."""
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [(z, z.replace("_", " ")) for z in zones]


class SignUpForm(ApiCheckedForm):
    """The fields of `auth/register/`. The form only lays them out: the API's input serializer
    (clinic.serializers.RegisterIn) checks them in clean(), and the service its own rules."""

    api_input = serializers.RegisterIn

    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.CharField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("With the country code, e.g. +12125550123."),
    )
    # Lists to choose from, checked by the serializer only (its lists are the rule).
    state = forms.CharField(
        label=_("State you live in"), widget=forms.Select(choices=[("", _("Choose a state")), *US_STATES])
    )
    timezone = forms.CharField(
        label=_("Time zone"), widget=LongSelect(choices=zone_choices()), initial="America/New_York"
    )
    email_opt_in = forms.BooleanField(
        label=_("Email me confirmations and reminders"), required=False, initial=True
    )
    sms_opt_in = forms.BooleanField(
        label=_("Text me reminders (SMS)"),
        required=False,
        help_text=_("Message and data rates may apply. Reply STOP to stop."),
    )


@sensitive_post_parameters("password")
def signup(request: HttpRequest) -> HttpResponse:
    """A patient's account: on success the patient is signed in and lands on the home page."""
    if request.user.is_authenticated:
        return redirect("web:home")
    if request.method == "POST":
        form = SignUpForm(request.POST)
        wait = _refused_for(request, throttling.AuthThrottle, throttling.RegisterThrottle)
        if wait is not None:
            return _too_many(request, "web/accounts/signup.html", form, wait)
        if form.is_valid():
            try:
                # The language the visitor reads the pages in becomes the profile's (and the messages').
                user, _token = services.patient_register(**form.validated, language=get_language())
            except DomainError as exc:
                for name, errors in (exc.fields or {}).items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, exc.detail)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("web:home")
        return render(request, "web/accounts/signup.html", {"form": form}, status=INVALID)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(request, "web/accounts/signup.html", {"form": SignUpForm()})
