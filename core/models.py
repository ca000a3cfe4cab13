"""The ground floor's one table: the audit trail every app writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """Who changed what, when, from what to what: every booking state change and every admin
    action on the reminder queue. Written in the transaction of the change it records, so the
    two commit or roll back together; never edited.

    `before` and `after` hold state, not content: statuses, ids, times, never the reason for a
    visit or a message body (the trail is read by operators, and kept longer than either).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Null: the system.",
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The client address of the request; null outside one."
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object"),
            models.Index(fields=["-at", "-id"], name="audit_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} at {self.at:%Y-%m-%d %H:%M:%S}"
