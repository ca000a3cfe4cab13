"""Signed links: the unguessable tokens in the links that messages carry (a visit's join links,
a waitlist offer's link, a caregiver's consent link).

A token is derived, never stored: base64url of HMAC-SHA256(SECRET_KEY, nonce | purpose), cut to
its first 128 bits (22 characters, so that a reminder with its link fits one SMS). The row keeps
the nonce (the same link can be shown again and carried by every reminder) and the token's
SHA-256 (for lookup): a copy of the database alone opens nothing. A new nonce revokes the old
links. The purpose (a visit's participant, "offer", "caregiver") keeps a token of one kind of
link from opening another.

Links already sent must keep working: the derivation never changes (tests/core pins it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_BYTES = 16  # 128 bits


def new_nonce() -> str:
    return secrets.token_hex(16)


def link_token(nonce: str, purpose: str) -> str:
    """The token of the link with this nonce, for this purpose."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{nonce}|{purpose}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What a row keeps of its token, to find the row by the token a link carries."""
    return hashlib.sha256(token.encode()).hexdigest()
