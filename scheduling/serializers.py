"""Shapes of the scheduling API. No logic: services and selectors do the work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.validators import MaxValueValidator
from rest_framework import serializers

from clinic.models import User
from clinic.serializers import VisitTypeRef
from core.api.fields import id_field
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff
from scheduling.sql import BookableSlot
from scheduling.video import Participant, join_url

# Rule dates stop a year short of the calendar's end, where expanding a rule week by week
# would overflow `datetime.date`.
LAST_RULE_DATE = dt.date(dt.MAXYEAR - 1, 12, 31)


def _rule_date(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(validators=[MaxValueValidator(LAST_RULE_DATE)], **kwargs)


class SlotOut(serializers.ModelSerializer):
    """The shape of a slot in search results (documented; `slots_out` writes it)."""

    class Meta:
        model = Slot
        fields = ["id", "specialist", "visit_type", "start", "end"]


# Search is the hottest read: building its 50 rows through DRF's serializer cost more than both
# of its queries, so its records (scheduling.sql.BookableSlot) are written here in SlotOut's
# shape (a test holds the two to the same output).


def _when(moment: dt.datetime) -> str:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in UTC, `Z` for the offset."""
    text = moment.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def slots_out(slots: Iterable[BookableSlot]) -> list[dict[str, Any]]:
    return [
        {
            "id": slot.id,
            "specialist": slot.specialist_id,
            "visit_type": slot.visit_type_id,
            "start": _when(slot.start),
            "end": _when(slot.end),
        }
        for slot in slots
    ]


class SlotManagedOut(serializers.ModelSerializer):
    # Retired slots are history, never among a specialist's managed slots.
    status = serializers.ChoiceField(choices=[c for c in Slot.Status.choices if c[0] != Slot.Status.RETIRED])

    class Meta:
        model = Slot
        fields = ["id", "specialist", "visit_type", "start", "end", "status"]


class SlotIn(serializers.Serializer):
    visit_type = VisitTypeRef()
    start = serializers.DateTimeField()
    specialist = id_field(required=False, help_text="Admins only: whose slot. Specialists add their own.")


class RuleOut(serializers.ModelSerializer):
    class Meta:
        model = AvailabilityRule
        fields = [
            "id",
            "specialist",
            "weekday",
            "start_time",
            "end_time",
            "visit_type",
            "valid_from",
            "valid_until",
        ]


def _whole_minutes(value: dt.time) -> None:
    # Slots are cut from the start in whole minutes: 09:00:30 would give a 09:00 slot.
    if value.second or value.microsecond:
        raise serializers.ValidationError("Use whole minutes (HH:MM).")


class RuleIn(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday")
    start_time = serializers.TimeField(validators=[_whole_minutes])
    end_time = serializers.TimeField(validators=[_whole_minutes])
    visit_type = VisitTypeRef()
    valid_from = _rule_date(required=False, help_text="Defaults to today.")
    valid_until = _rule_date(required=False, allow_null=True, help_text="Null: open-ended.")
    specialist = id_field(required=False, help_text="Admins only: whose rule. Specialists manage their own.")


class RulePatch(RuleIn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class TimeOffOut(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "specialist", "start", "end", "reason"]


class TimeOffIn(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    cancel_conflicting = serializers.BooleanField(required=False, default=False)
    specialist = id_field(required=False, help_text="Admins only: whose time off.")


class StateCode(serializers.RegexField):
    """A US state code in either case, given back upper-case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"^[A-Za-z]{2}$", **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(data)).upper()


class SlotSearch(serializers.Serializer):
    specialist = id_field(required=False)
    specialty = serializers.SlugField(max_length=50, required=False)
    state = StateCode(required=False)
    visit_type = id_field(required=False)
    start_after = serializers.DateTimeField(required=False)
    start_before = serializers.DateTimeField(required=False)


class NextAvailableSearch(serializers.Serializer):
    specialty = serializers.SlugField(max_length=50, required=False)
    state = StateCode(required=False)
    visit_type = id_field(required=False)


class BookingIn(serializers.Serializer):
    slot = id_field()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RescheduleIn(serializers.Serializer):
    slot = id_field()


class BookingFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    start_after = serializers.DateTimeField(required=False)
    start_before = serializers.DateTimeField(required=False)


class VideoOut(serializers.Serializer):
    join_url = serializers.URLField(allow_null=True)


class BookingOut(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(help_text="The patient's user id.")
    specialist = serializers.IntegerField()
    slot = serializers.IntegerField()
    visit_type = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    reason = serializers.CharField(
        allow_null=True, help_text="Only to the patient, their specialist, admins."
    )
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField(allow_blank=True)
    cancelled_by = serializers.ChoiceField(choices=Booking.Actor.choices, allow_null=True)
    rescheduled_from = serializers.IntegerField(allow_null=True)
    video = VideoOut(allow_null=True, help_text="Only to the patient, their specialist, admins.")

    def to_representation(self, booking: Booking) -> dict[str, Any]:
        field = serializers.DateTimeField()
        slot = booking.slot
        return {
            "id": booking.pk,
            "patient": booking.patient_id,
            "specialist": slot.specialist_id,
            "slot": slot.pk,
            "visit_type": slot.visit_type_id,
            "start": field.to_representation(slot.start),
            "end": field.to_representation(slot.end),
            "status": booking.status,
            "reason": booking.reason,
            "created_at": field.to_representation(booking.created_at),
            "cancelled_at": field.to_representation(booking.cancelled_at) if booking.cancelled_at else None,
            "cancel_reason": booking.cancel_reason,
            "cancelled_by": booking.cancelled_by or None,
            "rescheduled_from": booking.rescheduled_from_id,
            "video": {"join_url": join_url(booking, self._participant(booking))},
        }

    def _participant(self, booking: Booking) -> Participant:
        """Each side gets its own link; admins see the patient's, to help a patient join. (Only
        the booking's own specialist can see it, so the role says which side is asking.)"""
        request = self.context.get("request")
        if getattr(getattr(request, "user", None), "role", None) == User.Role.SPECIALIST:
            return Participant.SPECIALIST
        return Participant.PATIENT


class JoinOut(serializers.Serializer):
    room = serializers.CharField()
    identity = serializers.CharField()
    access_token = serializers.CharField(allow_null=True, help_text="A Twilio Video access token, or null.")
    url = serializers.URLField(allow_null=True, help_text="The provider's room URL, or null.")
    expires_at = serializers.DateTimeField()
