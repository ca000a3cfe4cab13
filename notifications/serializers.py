"""Shapes of the notifications API (the admin's view of the queue) and of Twilio's webhook forms."""

from __future__ import annotations

from rest_framework import serializers

from core.api.fields import id_field
from core.api.shapes import Shape
from notifications.models import Notification
from notifications.privacy import mask_contacts, mask_recipient
from notifications.selectors import ORDERINGS


class StatusCallbackIn(serializers.Serializer):
    MessageSid = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$")
    MessageStatus = serializers.CharField(max_length=20)
    ErrorCode = serializers.CharField(max_length=20, required=False, allow_blank=True)


class InboundSmsIn(serializers.Serializer):
    MessageSid = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$")
    From = serializers.CharField(max_length=32)
    Body = serializers.CharField(max_length=1600, allow_blank=True, trim_whitespace=False)


class NotificationOut(Shape):
    id = serializers.IntegerField()
    booking = serializers.IntegerField(
        source="booking_id", allow_null=True, help_text="The booking it is about; null for none."
    )
    subject = serializers.CharField(
        help_text="What it is about: `booking:<id>`, `offer:<id>`, `inbound:<sid>`."
    )
    audience = serializers.CharField(help_text="Who it is for: `patient`, `specialist` or `caregiver:<id>`.")
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    offset = serializers.IntegerField(
        help_text="Seconds before the visit; 0 for kinds that are not reminders."
    )
    channel = serializers.ChoiceField(choices=Notification.Channel.choices)
    recipient = serializers.SerializerMethodField(help_text="Masked: the last digits, or the domain.")
    status = serializers.ChoiceField(choices=Notification.Status.choices)
    attempts = serializers.IntegerField()
    last_error = serializers.SerializerMethodField(help_text="The provider's error, contact details masked.")
    provider_id = serializers.CharField()
    send_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_recipient(self, notification: Notification) -> str:
        return mask_recipient(notification.recipient)

    def get_last_error(self, notification: Notification) -> str:
        return mask_contacts(notification.last_error)


class NotificationFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Notification.Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Notification.Channel.choices, required=False)
    kind = serializers.ChoiceField(choices=Notification.Kind.choices, required=False)
    booking = id_field(required=False)
    send_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    send_before = serializers.DateTimeField(required=False, help_text="Exclusive.")
    ordering = serializers.ChoiceField(choices=ORDERINGS, default="-send_at")


# The schema names every channel and status (a client can rely on each key being there).
StatusCountsOut = type(
    "StatusCountsOut",
    (Shape,),
    {status: serializers.IntegerField() for status in Notification.Status.values},
)
ChannelCountsOut = type(
    "ChannelCountsOut",
    (Shape,),
    {channel: StatusCountsOut() for channel in Notification.Channel.values},
)


class QueueStatsOut(Shape):
    counts = ChannelCountsOut(help_text="Notifications per channel, then per status, zeros included.")
    oldest_overdue_seconds = serializers.FloatField(
        allow_null=True,
        help_text="Age of the oldest pending, queued or sending notification whose send_at has passed.",
    )
    sent_last_hour = serializers.IntegerField(help_text="Handed to the provider in the last hour.")
    failed_last_hour = serializers.IntegerField()
    sent_last_day = serializers.IntegerField()
    failed_last_day = serializers.IntegerField()
    queue_depth = serializers.IntegerField(
        allow_null=True, help_text="Messages waiting in the broker; null if it cannot be read."
    )
    dispatcher_last_run = serializers.DateTimeField(
        allow_null=True, help_text="When the dispatch task last ran in a worker."
    )
    workers = serializers.ListField(
        child=serializers.CharField(), help_text="Workers that answered a ping within a second."
    )
