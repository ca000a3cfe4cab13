"""Messages: one `Notification` row is one message on one channel, and its whole life.

The database is the source of truth for reminders: a reminder waits as a row with `send_at`,
never as a Celery ETA task (Redis redelivers those past its visibility timeout, and they run
twice). The dispatcher claims due rows; the send task moves one row through its statuses.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from scheduling.models import Booking

# Audiences: the patient, their specialist, or one of the patient's caregivers.
PATIENT = "patient"
SPECIALIST = "specialist"


def caregiver_audience(caregiver_id: int) -> str:
    return f"caregiver:{caregiver_id}"


def booking_subject(booking_id: int) -> str:
    return f"booking:{booking_id}"


def offer_subject(offer_id: int) -> str:
    return f"offer:{offer_id}"


def caregiver_subject(caregiver_id: int) -> str:
    """A caregiver's consent request is about the caregiver."""
    return f"caregiver:{caregiver_id}"


class Notification(models.Model):
    """One message on one channel to one audience about one subject.

    `subject` names what the message is about (`booking:<id>`, `offer:<id>`, `inbound:<sid>`
    for an answer to an SMS, `caregiver:<id>` for a consent request), `audience` who it is for
    (`patient`, `specialist`, `caregiver:<id>`). A specialist's alert and a caregiver's copy of
    a confirmation have the kind of the patient's own message: what differs is the audience,
    which picks the template, the address and the consent the send re-checks.
    """

    class Kind(models.TextChoices):
        BOOKING_CONFIRMED = "booking_confirmed"
        REMINDER = "reminder"
        BOOKING_CANCELLED = "booking_cancelled"
        BOOKING_RESCHEDULED = "booking_rescheduled"
        WAITLIST_OFFER = "waitlist_offer"
        # An answer to an SMS the patient sent (its `variant` says which answer).
        REPLY = "reply"
        CAREGIVER_CONSENT = "caregiver_consent"

    class Channel(models.TextChoices):
        SMS = "sms"
        EMAIL = "email"

    class Status(models.TextChoices):
        PENDING = "pending"
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        DELIVERED = "delivered"
        UNDELIVERED = "undelivered"
        FAILED = "failed"
        CANCELLED = "cancelled"
        SKIPPED = "skipped"

    subject = models.CharField(max_length=80)
    audience = models.CharField(max_length=32, default=PATIENT)
    # The booking the message is about, if any (a link for lookups and the admin; `subject` is
    # what makes the row unique).
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Which of a kind's texts, where it has several (a reply: `attendance_confirmed`,
    # `manage_link`, `manage_call`, `help`); blank for the others.
    variant = models.CharField(max_length=24, blank=True)
    # Seconds before the visit for a reminder; 0 for the other kinds (never NULL: NULLs never
    # collide in a unique index, and the row could then be written twice).
    offset = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254, help_text="Phone (E.164) or email, as of writing.")
    send_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the current attempt handed the message to the provider: a row found in `sending`
    # later is reconciled with the provider from this instant on before it is sent again.
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When it last failed for good (out of attempts, a permanent error, or the provider's
    # callback). Kept through a retry: the stats count failures, not rows still failed.
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-send_at", "-id"]
        constraints = [
            # Writing a message twice writes nothing new.
            models.UniqueConstraint(
                fields=["subject", "kind", "offset", "channel", "audience"],
                name="one_notification_per_subject_kind_offset_channel_audience",
            ),
        ]
        indexes = [
            # The dispatcher's one query: due pending rows, oldest first.
            models.Index(fields=["send_at"], condition=Q(status="pending"), name="notification_due"),
            # Reclaiming rows stuck in flight.
            models.Index(
                fields=["queued_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="notification_in_flight",
            ),
            models.Index(
                fields=["provider_id"], condition=~Q(provider_id=""), name="notification_provider_id"
            ),
            models.Index(fields=["status", "channel"]),
            # The stats' sent per hour and per day.
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="notification_sent"),
            models.Index(
                fields=["failed_at"], condition=Q(failed_at__isnull=False), name="notification_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} to {self.audience} about {self.subject} ({self.status})"


class DispatcherRun(models.Model):
    """The dispatcher's heartbeat, in the database where every process can read it."""

    name = models.CharField(max_length=50, unique=True)
    last_run_at = models.DateTimeField()
    claimed = models.PositiveIntegerField(default=0)
    reclaimed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"


class WebhookReceipt(models.Model):
    """A Twilio webhook acted on: Twilio's signature carries no timestamp, so a captured request
    stays valid for ever, and only this row tells a replay from the first delivery.

    Written in the transaction of the webhook's effect, under the unique (message_sid, event):
    of two deliveries of one request, concurrent or years apart, one acts. `event` is `inbound`
    for an inbound message, else the MessageStatus of a status callback, so each status of one
    message counts once and a later "delivered" still counts.
    """

    INBOUND = "inbound"

    message_sid = models.CharField(max_length=64)
    event = models.CharField(max_length=20)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_sid", "event"], name="one_receipt_per_sid_and_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_sid}"


class SmsOptOut(models.Model):
    """A phone number that replied STOP (or one of Twilio's other opt-out words), whoever it
    belongs to: Twilio blocks every message to it until it replies START, so nothing is sent to
    it, whichever audience a message is for, and a profile switch cannot lift it."""

    phone = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self) -> str:
        return f"opt-out {self.phone[-4:]}"
