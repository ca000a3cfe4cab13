"""The admins' view of the reminder queue, and Twilio's webhooks.

`admin/notifications/`: the list, the stats, retry and cancel (admins only). Twilio's webhooks:
message status callbacks and inbound SMS (STOP / START keywords). They take no token: each request must carry a valid `X-Twilio-Signature`, which Twilio computes over
PUBLIC_BASE_URL + the path (and query) and the form parameters, so it holds behind a proxy that
rewrites the host or the scheme. Anything else answers 403 in the error shape. The signature has
no timestamp, so a replayed request passes it: the services act on each message (and each status
of it) once, and a replay answers 200 like the first delivery, changing nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from twilio.request_validator import RequestValidator

from clinic.access import caller
from core.api.openapi import FOUND, SIGNED_IN, operation
from core.api.validation import validated
from core.permissions import IsAdmin
from notifications import selectors, serializers
from notifications.models import Notification
from notifications.services import callbacks, steering


@extend_schema_view(
    list=operation(
        "Notifications, filtered (admins)",
        serializers.NotificationOut,
        400,
        *FOUND,
        parameters=[serializers.NotificationFilterIn],
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.NotificationOut
    permission_classes = [IsAdmin]
    queryset = Notification.objects.none()  # the model, for the schema; get_queryset filters

    def get_queryset(self) -> QuerySet[Notification]:
        if self.action != "list":
            return Notification.objects.all()
        return selectors.notification_list(
            **validated(serializers.NotificationFilterIn, self.request.query_params)
        )

    @operation(
        "The queue at a glance: counts, lag, throughput, broker depth, workers",
        serializers.QueueStatsOut,
        *SIGNED_IN,
    )
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        return Response(serializers.QueueStatsOut(selectors.notification_stats()).data)

    @operation(
        "Retry a failed or cancelled notification now", serializers.NotificationOut, 401, 403, 404, 409
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        notification = steering.notification_retry(notification_id=self.get_object().pk, by=caller(request))
        return Response(self.get_serializer(notification).data)

    @operation("Cancel a pending or queued notification", serializers.NotificationOut, *FOUND, 409)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        notification = steering.notification_cancel(notification_id=self.get_object().pk, by=caller(request))
        return Response(self.get_serializer(notification).data)


class TwilioSignature(BasePermission):
    message = "Missing or invalid X-Twilio-Signature."

    def has_permission(self, request: Request, view: Any) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not settings.TWILIO_AUTH_TOKEN:
            return False
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        params = {key: request.POST.get(key) for key in request.POST}
        return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)


class TwilioWebhook(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [TwilioSignature]
    parser_classes = [FormParser]
    throttle_classes: list[Any] = []


class TwilioStatusView(TwilioWebhook):
    @operation(
        "Twilio message status callback",
        OpenApiResponse(description="Applied, or nothing to change."),
        403,
        request={"application/x-www-form-urlencoded": serializers.StatusCallbackIn},
    )
    def post(self, request: Request) -> Response:
        data = validated(serializers.StatusCallbackIn, request.POST)
        callbacks.notification_status_callback(
            provider_id=data["MessageSid"],
            status=data["MessageStatus"],
            error_code=data.get("ErrorCode") or "",
        )
        return Response({"status": "ok"})


# Twilio reads the answer to an inbound message as TwiML: an empty one sends no reply (Twilio's
# own opt-out handling already answers STOP and START).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioInboundView(TwilioWebhook):
    @operation(
        "Inbound SMS: Twilio's opt-out and opt-in words, and replies that act (1, 2)",
        OpenApiResponse(description="Empty TwiML."),
        403,
        request={"application/x-www-form-urlencoded": serializers.InboundSmsIn},
        status=(200, "text/xml"),
    )
    def post(self, request: Request) -> HttpResponse:
        data = validated(serializers.InboundSmsIn, request.POST)
        callbacks.notification_inbound_sms(
            message_sid=data["MessageSid"], sender=data["From"], body=data["Body"]
        )
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
