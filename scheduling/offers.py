"""Waitlist offers' links: unguessable tokens, and where an offer stands for the holder of one.

An offer token is a signed link's (core.signed_links) whose purpose is "offer". The Offer row
keeps the nonce (the link can be shown again) and the token's SHA-256 (for lookup): a copy of
the database alone claims no slot.

The state changes of offers are `scheduling.services.offers`'s.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from core.errors import NotFound
from core.signed_links import link_token, new_nonce, token_hash
from scheduling.models import Offer

# What the HMAC is keyed for, beside the nonce: a join token's participant is never "offer", so
# no offer token opens a visit, and no join token claims an offer.
PURPOSE = "offer"


def offer_key() -> tuple[str, str]:
    """A fresh (nonce, token SHA-256) pair for a new offer."""
    nonce = new_nonce()
    return nonce, token_hash(link_token(nonce, PURPOSE))


def offer_token(offer: Offer) -> str:
    return link_token(offer.nonce, PURPOSE)


def offer_url_of(nonce: str) -> str:
    """The link of the offer whose nonce this is, as messages carry it: short, so that it fits
    one SMS; its last path segment is the token (the page /o/{token}, the API
    offers/{token}/)."""
    return f"{settings.PUBLIC_BASE_URL}/o/{link_token(nonce, PURPOSE)}"


def offer_url(offer: Offer) -> str:
    return offer_url_of(offer.nonce)


class OfferState(StrEnum):
    """Where an offer stands for the holder of its link: `open` until it expires (then `lapsed`,
    whether or not the lapse task has run yet)."""

    OPEN = "open"
    CLAIMED = "claimed"
    DECLINED = "declined"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"

    @property
    def closed(self) -> bool:
        return self != OfferState.OPEN


def offer_state(offer: Offer) -> OfferState:
    if offer.status == Offer.Status.OPEN and timezone.now() >= offer.expires_at:
        return OfferState.LAPSED
    return OfferState(offer.status)


def offer_get_by_token(token: str) -> Offer:
    """The offer of a token, with its slot, specialist, visit type and patient (NotFound for none)."""
    offer = (
        Offer.objects.select_related(
            "slot__specialist__user", "slot__visit_type", "entry", "booking", "patient"
        )
        .filter(token_sha256=token_hash(token))
        .first()
    )
    if offer is None:
        raise NotFound("No such offer.")
    return offer
