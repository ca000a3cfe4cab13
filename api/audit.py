"""`admin/audit/`: the audit trail every app writes, read by admins, newest first."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, serializers, viewsets

from core.api.fields import id_field
from core.api.openapi import FOUND, operation
from core.api.shapes import Shape
from core.api.validation import validated
from core.audit import audit_event_list
from core.models import AuditEvent
from core.permissions import IsAdmin


class AuditEventOut(Shape):
    id = serializers.IntegerField()
    actor = serializers.IntegerField(
        source="actor_id", allow_null=True, help_text="A user id; null: the system."
    )
    action = serializers.CharField(help_text="e.g. `booking.cancelled`, `notification.retried`.")
    object_type = serializers.CharField(help_text="`booking` or `notification`.")
    object_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    before = serializers.JSONField(
        allow_null=True, help_text="The object's state before; null for a creation."
    )
    after = serializers.JSONField(allow_null=True)
    address = serializers.IPAddressField(
        allow_null=True, help_text="The client address of the request that made it; null: none."
    )


class AuditFilterIn(serializers.Serializer):
    actor = id_field(required=False)
    action = serializers.CharField(max_length=40, required=False)
    object_type = serializers.CharField(max_length=40, required=False)
    object_id = id_field(required=False)


@extend_schema_view(
    list=operation(
        "The audit trail, newest first (admins)",
        AuditEventOut,
        400,
        *FOUND,
        parameters=[AuditFilterIn],
    )
)
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEventOut
    permission_classes = [IsAdmin]
    queryset = AuditEvent.objects.none()  # the model, for the schema

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return audit_event_list(**validated(AuditFilterIn, self.request.query_params))
