"""Time: weekly availability, time off, concrete slots and the bookings that claim them, and the
waitlist whose offers hold freed slots for waiting patients.

Double booking is ruled out by the database, not by the code alone: a booking claims its slot
with a conditional UPDATE (`status='open'`), and a partial unique index allows one confirmed
booking per slot. Slots of one specialist never overlap: a PostgreSQL exclusion constraint
(migration 0002, PostgreSQL only) and, on SQLite, the service under an IMMEDIATE transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from localflavor.us.models import USStateField

from clinic.models import Patient, Specialist, Specialty, VisitType


class AvailabilityRule(models.Model):
    """A weekly window in the specialist's own wall-clock time, cut into slots of a visit type."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday ... 6 = Sunday")
    start_time = models.TimeField()
    end_time = models.TimeField()
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="rule_weekday_0_6"),
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="rule_start_before_end"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="rule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"rule {self.pk}: day {self.weekday} {self.start_time}-{self.end_time}"


class TimeOff(models.Model):
    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="time_off_start_before_end")
        ]

    def __str__(self) -> str:
        return f"time off {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"


class Slot(models.Model):
    # The labels are the pages' (web/): translated there.
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        # Offered to a waitlisted patient (an open `Offer`): in no search, claimable only by
        # that patient until the offer expires.
        HELD = "held", _("Held")
        BOOKED = "booked", _("Booked")
        BLOCKED = "blocked", _("Blocked")  # closed by time off (`time_off`); reopens when the time off goes
        # Offered no more, kept only as the slot of past or cancelled bookings: it holds no
        # time, so the specialist's rules may offer that time again.
        RETIRED = "retired", _("Retired")

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="slots")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # The rule that generated the slot (null for a single slot added by hand): regenerating a
    # rule replaces only its own open slots.
    rule = models.ForeignKey(
        AvailabilityRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots"
    )
    time_off = models.ForeignKey(
        TimeOff, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots"
    )
    # Set on a booked slot whose rule was deleted, or edited so that it no longer yields this
    # slot: the visit stands, but once it is cancelled or moved the slot retires instead of
    # reopening at a time the specialist no longer offers.
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="slot_start_before_end"),
            # The cheap guard that holds on every backend; overlaps in general are excluded by
            # the PostgreSQL-only constraint of migration 0006. Retired slots hold no time.
            models.UniqueConstraint(
                fields=["specialist", "start"],
                condition=~Q(status="retired"),
                name="slot_unique_start_unless_retired",
            ),
        ]
        indexes = [
            models.Index(fields=["start"], condition=Q(status="open"), name="slot_open_start"),
            models.Index(
                fields=["specialist", "start"],
                condition=Q(status="open"),
                name="slot_open_by_specialist",
            ),
        ]

    def __str__(self) -> str:
        return f"slot {self.pk} {self.start:%Y-%m-%d %H:%M}Z ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Booking(models.Model):
    # The labels are the pages' (web/): translated there.
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No Show")

    class Actor(models.TextChoices):
        PATIENT = "patient"
        SPECIALIST = "specialist"
        ADMIN = "admin"

    # No index of its own: the (patient, status) index below serves lookups by patient.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="bookings", db_index=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    reason = models.TextField(blank=True, max_length=2000)  # PHI: never in a message or a log
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    cancelled_by = models.CharField(max_length=12, choices=Actor.choices, blank=True)
    # When the patient said they will attend (an SMS reply `1`, or on the page).
    attendance_confirmed_at = models.DateTimeField(null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The last line of defence against double booking, on PostgreSQL and SQLite alike.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status="confirmed"),
                name="one_confirmed_booking_per_slot",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"booking {self.pk} ({self.status})"


class WaitlistEntry(models.Model):
    """A patient waiting for a sooner visit: a specialty in a state, optionally narrowed to one
    specialist, a visit type and a range of dates (the patient's own calendar dates)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered")  # an open offer holds a slot for it
        BOOKED = "booked", _("Booked")
        LEFT = "left", _("Left")
        EXPIRED = "expired", _("Expired")  # its `latest` date passed

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waitlist_entries")
    # No index of its own: the partial index below leads with it, and a specialty is never
    # deleted while entries point to it (PROTECT) anyway.
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = USStateField()
    specialist = models.ForeignKey(
        Specialist, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    visit_type = models.ForeignKey(
        VisitType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    earliest = models.DateField(null=True, blank=True)
    latest = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest__isnull=True) | Q(latest__isnull=True) | Q(earliest__lte=F("latest")),
                name="waitlist_earliest_before_latest",
            ),
        ]
        indexes = [
            # The match of a freed slot: the waiting entries of its specialty and the states its
            # specialist is licensed in, first come first served. Only waiting entries: the
            # others are history and would only grow the index.
            models.Index(
                fields=["specialty", "state", "created_at"],
                condition=Q(status="waiting"),
                name="waitlist_waiting_match",
            ),
            models.Index(fields=["patient", "status"], name="waitlist_by_patient"),
        ]

    def __str__(self) -> str:
        return f"waitlist entry {self.pk} ({self.status})"


class Offer(models.Model):
    """A freed slot held for one waitlist entry until `expires_at`. Its link carries a token
    derived like a join token (scheduling.offers): the row keeps the nonce and the token's
    SHA-256, so a copy of the database alone claims nothing."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        DECLINED = "declined", _("Declined")
        LAPSED = "lapsed", _("Lapsed")
        WITHDRAWN = "withdrawn", _("Withdrawn")  # time off over the slot, or the patient left the waitlist

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="offers")
    # The entry's patient, kept on the row so that the claim's SQL tests it without a join.
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    nonce = models.CharField(max_length=64)
    token_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="offer"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open offer per slot, whatever path made it: the last line of defence against
            # a slot held for two patients at once.
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="open"), name="one_open_offer_per_slot"
            ),
            models.UniqueConstraint(fields=["token_sha256"], name="offer_token_sha256_unique"),
        ]
        indexes = [
            # The lapse task's scan: open offers by expiry.
            models.Index(fields=["expires_at"], condition=Q(status="open"), name="offer_open_expiry"),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} of slot {self.slot_id} ({self.status})"


class IdempotencyKey(models.Model):
    """A one-time key a client sent with a request that creates something, scoped to the user
    it acts for: a booking (the API's `Idempotency-Key`, the booking page's hidden key) or time
    off (the time-off page's hidden key). A repeat of the same request answers with what the
    first created; exactly one of `booking` and `time_off` is set."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Removing the time off removes its key: the same form sent again then takes it again.
    time_off = models.ForeignKey(TimeOff, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, time_off__isnull=True)
                | Q(booking__isnull=True, time_off__isnull=False),
                name="idempotency_key_one_result",
            ),
        ]

    def __str__(self) -> str:
        made = f"booking {self.booking_id}" if self.booking_id else f"time off {self.time_off_id}"
        return f"key {self.key[:12]} -> {made}"


class VideoVisit(models.Model):
    """The video room of one booking. Join tokens are derived from `nonce` (see scheduling.video)
    and only their SHA-256 is stored, so a copy of the database alone opens no visit."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="video")
    room = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    patient_token_sha256 = models.CharField(max_length=64)
    specialist_token_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Constraints rather than `unique=True`, which on PostgreSQL adds a second, LIKE-pattern
        # index per field: nothing searches these by prefix, and every booking writes a row.
        constraints = [
            models.UniqueConstraint(fields=[name], name=f"video_{name}_unique")
            for name in ("room", "patient_token_sha256", "specialist_token_sha256")
        ]

    def __str__(self) -> str:
        return f"video room {self.room} of booking {self.booking_id}"
