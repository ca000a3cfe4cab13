"""Shapes of the notifications API and of Twilio's webhook forms."""

from __future__ import annotations

from rest_framework import serializers


class StatusCallbackIn(serializers.Serializer):
    MessageSid = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$")
    MessageStatus = serializers.CharField(max_length=20)
    ErrorCode = serializers.CharField(max_length=20, required=False, allow_blank=True)


class InboundSmsIn(serializers.Serializer):
    From = serializers.CharField(max_length=32)
    Body = serializers.CharField(max_length=1600, allow_blank=True, trim_whitespace=False)
