"""No copy of an answer that may carry PHI: `Cache-Control: no-store` under /api/v1/.

Every answer to a caller who authenticated (by token, or by session in the browsable API) or
sent credentials at all, and every answer to a write (a new token, a webhook), errors included,
is marked so that neither the browser's disk nor a proxy keeps it. An anonymous read (the public
slot search and catalogue) keeps whatever caching its view gives it. A view that hands a secret to
an anonymous caller (a join link's answer) marks itself with `never_cache`.

DRF authenticates inside the view and sets the Django request's `user` to who it found, so on the
way out this middleware sees the caller a token named, not only the session's.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

PREFIX = "/api/v1/"
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_carry_phi(request: HttpRequest) -> bool:
    if request.method not in READS or "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreMiddleware:
    """After AuthenticationMiddleware, so a session's user is there to be asked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(PREFIX) and may_carry_phi(request):
            add_never_cache_headers(response)
        return response
