"""API tokens: knox's scheme (`Authorization: Token <key>`, tokens stored as digests), with a
token and its user read by one hand-written statement (`clinic.sql.tokens_by_key`): every
authenticated request pays for this lookup. And the hook that ends a user's tokens when their
password changes."""

from __future__ import annotations

from hmac import compare_digest
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from clinic import sql, tokens
from clinic.models import User


class TokenAuthentication(auth.TokenAuthentication):
    """Answers as knox's does (same header, same errors, `request.auth` the AuthToken), in one
    statement: a token past its expiry is not found (it is never extended: expiry is fixed at
    sign-in) and is left for `clinic.tasks.tokens_purge_expired_task` to delete."""

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        invalid = exceptions.AuthenticationFailed(_("Invalid token."))
        try:
            key = token.decode("ascii")
        except UnicodeDecodeError:  # knox's own class answers 500 to `Token café`
            raise invalid from None
        if not key.isprintable():  # a NUL is refused by PostgreSQL: no statement for it
            raise invalid
        digest = hash_token(key)
        for auth_token in sql.tokens_by_key(key[: CONSTANTS.TOKEN_KEY_LENGTH], now=timezone.now()):
            if compare_digest(digest, auth_token.digest):
                return self.validate_user(auth_token)
        raise invalid


class TokenScheme(OpenApiAuthenticationExtension):
    # The schema's `tokenAuth` security scheme: `Authorization: Token <key>`.

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> Any:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=knox_settings.AUTH_HEADER_PREFIX
        )


class PasswordChangeRevokesTokens:
    """Not a rule for passwords: Django calls every validator's `password_changed` when a user
    is saved with a new password, whichever path set it (the Django admin's form,
    `manage.py changepassword`, a service), so this one place ends the user's API tokens (their
    sessions end by Django's own session hash)."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            tokens.user_tokens_revoke(user=user, reason="password_changed")

    def get_help_text(self) -> str:
        return str(_("A new password signs out every app signed in with the old one."))
