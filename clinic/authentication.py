"""Token authentication: DRF's scheme, with the token's user read by one hand-written statement.

Every authenticated request pays for this lookup. DRF's own
(`Token.objects.select_related("user").get(key=key)`) spent several times longer compiling its
query than the database spent answering it; the statement below is the same join (see
core.rows).
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from clinic.models import User
from core import rows

USER_BY_TOKEN_SQL = (
    "SELECT {user} FROM clinic_user u JOIN authtoken_token t ON t.user_id = u.id WHERE t.key = %s"
)


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, answering exactly as DRF's does (same errors, same
    `request.auth`: the key's Token)."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        with connection.cursor() as cursor:
            cursor.execute(USER_BY_TOKEN_SQL.format(user=rows.columns(User, "u")), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = rows.instance(User, row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
