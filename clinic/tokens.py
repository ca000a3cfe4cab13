"""API tokens and sign-ins: issuing a token at sign-in or registration, revoking one at sign-out
or all of a user's (a password change, a deactivation), purging expired ones, and the audit
trail of session sign-ins. Tokens are django-rest-knox's: only their digest is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from knox.models import AuthToken

from clinic.models import User
from core.audit import audit_event_record
from core.emails import email_normalized
from core.errors import InvalidInput


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: its key, shown to the caller once (only its digest is stored), and the
    fixed time it ends (TOKEN_TTL_HOURS after it was made)."""

    token: str
    expires_at: dt.datetime


def token_create(*, user: User) -> IssuedToken:
    """A new API token for `user`, beside any they have (one per device)."""
    instance, key = AuthToken.objects.create(user=user)
    return IssuedToken(token=key, expires_at=instance.expiry)


def token_obtain(*, request: HttpRequest, email: str, password: str) -> IssuedToken:
    user = authenticate(request, username=email_normalized(email), password=password)
    if user is None:
        raise InvalidInput("Wrong email or password.", code="invalid_credentials")
    # Only the sign-in is one transaction: what `authenticate` records of a failed attempt stays.
    with transaction.atomic():
        token = token_create(user=user)
        audit_event_record(
            actor=user,
            action="login",
            obj=user,
            before=None,
            after={"expires_at": token.expires_at.isoformat()},
        )
        # A good sign-in clears this account's failures from this address, as a session sign-in
        # does through Django's `user_logged_in` (which an API sign-in does not send).
        AxesProxyHandler.user_logged_in(None, request, user)
    return token


@transaction.atomic
def token_revoke(*, token: AuthToken) -> None:
    """Logout: the token ends; the user's other tokens (other devices) stay."""
    deleted, _ = AuthToken.objects.filter(digest=token.digest).delete()
    if deleted:
        audit_event_record(
            actor=token.user,
            action="token_revoked",
            obj=token.user,
            before=None,
            after={"reason": "logout", "tokens": deleted},
        )


@transaction.atomic
def session_audit(*, user: User, action: str) -> None:
    """A session sign-in (`login`) or sign-out (`logout`) in the audit trail; `token_obtain`
    records the API's sign-ins."""
    audit_event_record(actor=user, action=action, obj=user, before=None, after={"via": "session"})


@transaction.atomic
def user_tokens_revoke(*, user: User, reason: str, actor: User | None = None) -> int:
    """End every API token of `user` (`reason`: `password_changed`, `deactivated`); how many."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    if deleted:
        audit_event_record(
            actor=actor,
            action="token_revoked",
            obj=user,
            before=None,
            after={"reason": reason, "tokens": deleted},
        )
    return deleted


@transaction.atomic
def tokens_purge_expired() -> int:
    """Delete the tokens past their expiry (authentication already refuses them); how many."""
    deleted, _ = AuthToken.objects.filter(Q(expiry__lte=timezone.now()) | Q(expiry__isnull=True)).delete()
    return deleted
