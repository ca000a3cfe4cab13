"""Idempotency keys (`scheduling.models.IdempotencyKey`): a request that creates something (a
booking, time off) may carry a one-time key of its user's. A repeat of the same request answers
with what the first made; the same key with another request is refused, `idempotency_key_reused`.

The creating service looks its key up and records it in its own transaction, under the lock that
makes a repeat wait for the first request (the patient's row, the specialist's), so that the
repeat finds the key the first recorded.
"""

from __future__ import annotations

from typing import TypeVar

from clinic.models import User
from core.errors import Conflict
from scheduling.models import Booking, IdempotencyKey, TimeOff

Made = TypeVar("Made", Booking, TimeOff)

# The key's column for each kind of thing a request makes.
_FIELDS: dict[type[Booking | TimeOff], str] = {Booking: "booking", TimeOff: "time_off"}


def idempotency_key_replay(
    *, user: User, key: str, request_hash: str, made: type[Made], reused_message: str
) -> Made | None:
    """What the first request with this key made (a `made`), or None for a key not used yet.
    A key used with another request (another hash, or to make another kind of thing) raises
    Conflict `idempotency_key_reused`, saying `reused_message`."""
    field = _FIELDS[made]
    stored = IdempotencyKey.objects.select_related(field).filter(user=user, key=key).first()
    if stored is None:
        return None
    found: Made | None = getattr(stored, field)
    if stored.request_hash != request_hash or found is None:
        raise Conflict(reused_message, code="idempotency_key_reused")
    return found


def idempotency_key_record(*, user: User, key: str, request_hash: str, made: Booking | TimeOff) -> None:
    """Keep the key with what its request made, for a repeat to find."""
    IdempotencyKey.objects.create(
        user=user,
        key=key,
        request_hash=request_hash,
        booking=made if isinstance(made, Booking) else None,
        time_off=made if isinstance(made, TimeOff) else None,
    )
