"""A Twilio webhook delivered many times at the same instant (Twilio's retry, or a replay) acts
once: real concurrent transactions on PostgreSQL, the receipt's unique key deciding."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from notifications.models import Notification, WebhookReceipt
from notifications.services import callbacks
from tests.factories import NotificationFactory, PatientFactory
from tests.integration.race import race

RACERS = 8
SID = "SM" + "4" * 32


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_inbound_stop_delivered_at_once_many_times_acts_once():
    PatientFactory(phone="+12125550199", sms_opt_in=True)
    audit_events = AuditEvent.objects.count()

    results = race(
        RACERS,
        lambda _: callbacks.notification_inbound_sms(message_sid=SID, sender="+12125550199", body="STOP"),
    )

    assert sorted(results, key=str) == [None] * (RACERS - 1) + ["opted_out"]  # opted out, once
    assert WebhookReceipt.objects.filter(message_sid=SID).count() == 1
    assert AuditEvent.objects.count() - audit_events <= 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_status_callback_delivered_at_once_many_times_applies_once():
    NotificationFactory(
        kind=Notification.Kind.BOOKING_CONFIRMED,
        channel=Notification.Channel.SMS,
        recipient="+12125550199",
        send_at="2026-12-01T12:00:00Z",
        status=Notification.Status.SENT,
        provider_id=SID,
    )

    results = race(
        RACERS, lambda _: callbacks.notification_status_callback(provider_id=SID, status="delivered")
    )

    assert sorted(results) == [False] * (RACERS - 1) + [True]
    assert WebhookReceipt.objects.filter(message_sid=SID, event="delivered").count() == 1
