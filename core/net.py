"""The client's address: the one answer the throttles, the login lockout and the audit trail use.

`X-Forwarded-For` is anyone's to write, so it counts only behind proxies the operator declared
(`TRUSTED_PROXIES`, default 0: the peer's own address, REMOTE_ADDR). Behind n proxies the address
is the n-th from the right of the chain, as DRF's NUM_PROXIES reads it: each proxy appends the
peer it saw, so whatever a client wrote itself stays to the left of what the proxies added. An
entry that is not an address (a proxy configured to pass something else) is not trusted either.

The middleware keeps the address of the request being served in a contextvar, so the audit trail
can record it without every service taking the request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

current_address: ContextVar[str | None] = ContextVar("current_address", default=None)


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: Any) -> str:
    """The address of the client that sent `request` (a Django or a DRF request); "" if unknown
    (a Unix socket)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") if proxies > 0 else None
    if forwarded:
        chain = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if chain:
            return _address(chain[-min(proxies, len(chain))]) or remote
    return remote


class ClientAddressMiddleware:
    """Sets `current_address` for the request's duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_address.set(_address(client_address(request)))
        try:
            return self.get_response(request)
        finally:
            current_address.reset(token)
