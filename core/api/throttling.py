"""The API's throttles: DRF's, counting by `core.net.client_address`, in the shared cache.

The counters live in the default cache, which `CACHE_URL` names (Redis in compose): every web
process counts against the same limit, where a per-process memory would multiply it by the
number of workers. The endpoints that take a password have limits of their own (scopes `auth`,
`account` and `register`), which `THROTTLE_RATES=off` keeps (see config/settings.py): one per
client address, one per account whatever the address (an attacker with many addresses still
gets a few guesses an hour at one patient's password), and one on registrations per address.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import redis
from rest_framework import throttling
from rest_framework.request import Request

from core.emails import email_normalized
from core.net import client_address

log = logging.getLogger(__name__)


class _SharedCounters:
    """A counter the shared cache cannot reach lets the request through, logged: an outage of
    Redis must not turn every API answer into a 500 (the sign-in lockout, kept in the database,
    still holds meanwhile)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except redis.RedisError as exc:
            log.error("throttle %s not counted: the cache is unreachable (%s)", type(self).__name__, exc)
            return True


class _ByClientAddress(_SharedCounters):
    def get_ident(self, request: Request) -> str:
        return client_address(request)


class AnonRateThrottle(_ByClientAddress, throttling.AnonRateThrottle):
    """Anonymous callers, per address (scope `anon`)."""


class UserRateThrottle(_ByClientAddress, throttling.UserRateThrottle):
    """Signed-in callers, per user (scope `user`)."""


class ScopedRateThrottle(_ByClientAddress, throttling.ScopedRateThrottle):
    """A view's own `throttle_scope`, per user or address."""


class AddressRateThrottle(_ByClientAddress, throttling.SimpleRateThrottle):
    """A fixed scope counted per client address, signed in or not."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthThrottle(AddressRateThrottle):
    """Sign-ins and registrations, per address."""

    scope = "auth"


class RegisterThrottle(AddressRateThrottle):
    """Registrations, per address: accounts are not made by the hundred."""

    scope = "register"


class AccountThrottle(_SharedCounters, throttling.SimpleRateThrottle):
    """Sign-ins per account, keyed on the request's email as the service normalises it, whether
    or not the account exists (a limit only on real accounts would tell which exist). The key
    holds a digest, not the email."""

    scope = "account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        email = data.get("email") if isinstance(data, Mapping) else None
        if not isinstance(email, str) or not email.strip():
            return None  # nothing to count: the request fails validation
        digest = hashlib.sha256(email_normalized(email).encode("utf-8", "backslashreplace")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
