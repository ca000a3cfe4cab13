"""The audit trail: who changed what, when, from what to what (see `core.models.AuditEvent`).

Every app records its changes here, in the transaction of the change; admins read it back.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet

from core.filters import filtered
from core.models import AuditEvent
from core.net import current_address
from core.rows import insert_one


def audit_event_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """Record a change in the caller's transaction (it commits or rolls back with the change).

    `actor` None is the system (the dispatcher, a Twilio callback); an anonymous user counts as
    the system too. `before`/`after` must be JSON-ready state, no PHI. The address is the client's
    of the request being served (`core.net`), if any.
    """
    return insert_one(
        AuditEvent(
            actor=actor if actor is not None and actor.pk else None,
            action=action,
            object_type=str(obj._meta.model_name),
            object_id=obj.pk,
            before=before,
            after=after,
            address=current_address.get(),
        )
    )


def audit_event_list(
    *,
    actor: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
) -> QuerySet[AuditEvent]:
    """Newest first."""
    events = filtered(
        AuditEvent.objects.all(), actor_id=actor, action=action, object_type=object_type, object_id=object_id
    )
    return events.order_by("-at", "-id")
