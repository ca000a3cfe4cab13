"""Token authentication: DRF's scheme, with the token's user read by one hand-written statement
(`clinic.sql.user_by_token`): every authenticated request pays for this lookup."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from clinic import sql
from clinic.models import User


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, answering exactly as DRF's does (same errors, same
    `request.auth`: the key's Token)."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        user = sql.user_by_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
