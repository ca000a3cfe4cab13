"""The sign-in lockout (django-axes): after `AXES_FAILURE_LIMIT` failures for one account from
one address, that pair is refused for `AXES_COOLOFF_TIME`, in the Django admin, the pages'
sign-in and the API's `auth/token/` alike (each passes its request to `authenticate()`).

The failures are counted by the email as the sign-in normalises it and by `core.net`'s client
address. Under /api/ a lockout answers 429 in the API's error shape; elsewhere the page
`429.html` (the pages' app provides it, as it does 404.html).
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from core.api.errors import error_body
from core.emails import email_normalized


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out account and address before the ModelBackend after it is asked.

    Only in-process callers reach `authenticate()` without a request (Django's test client's
    `login()`, the shell): there is no address to count, so they go on to the next backend,
    where axes' own backend would raise. Every HTTP sign-in passes its request."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The email, as `clinic.tokens.token_obtain` normalises it: the admin's form posts it as
    `username`, the API as `email`."""
    source: Any = credentials or request.POST
    value = source.get("username") or source.get("email")
    return email_normalized(value) if isinstance(value, str) and value.strip() else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    retry_after = str(int(cool_off.total_seconds())) if cool_off else None
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body("Too many failed sign-ins: try again later.", "throttled"), status=429
        )
    else:
        body = render_to_string("429.html", request=request)
        response = HttpResponse(body, status=429)
    if retry_after:
        response["Retry-After"] = retry_after
    return response
