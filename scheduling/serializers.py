"""Shapes of the scheduling API. No logic: services and selectors do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.validators import MaxValueValidator
from drf_spectacular.utils import extend_schema_field
from localflavor.us.us_states import US_STATES
from rest_framework import serializers

from clinic.models import Specialist, User
from clinic.serializers import SpecialtyRef, VisitTypeRef
from core.api.fields import id_field
from core.api.shapes import Shape
from core.permissions import is_admin
from scheduling.models import Booking, Offer, Slot, WaitlistEntry
from scheduling.offers import OfferState, offer_state
from scheduling.video import Participant, join_url

# Rule dates stop a year short of the calendar's end, where expanding a rule week by week
# would overflow `datetime.date`.
LAST_RULE_DATE = dt.date(dt.MAXYEAR - 1, 12, 31)


def _rule_date(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(validators=[MaxValueValidator(LAST_RULE_DATE)], **kwargs)


class SlotOut(Shape):
    # A bookable slot in search results (the records of scheduling.sql.BookableSlots) and
    # next available.
    id = serializers.IntegerField(read_only=True)
    specialist = serializers.IntegerField(source="specialist_id")
    visit_type = serializers.IntegerField(source="visit_type_id")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class SlotManagedOut(SlotOut):
    # One of a specialist's own slots, with its status.
    # Retired slots are history, never among a specialist's managed slots.
    status = serializers.ChoiceField(choices=[c for c in Slot.Status.choices if c[0] != Slot.Status.RETIRED])


class SlotIn(serializers.Serializer):
    visit_type = VisitTypeRef()
    start = serializers.DateTimeField()
    specialist = id_field(required=False, help_text="Admins only: whose slot. Specialists add their own.")


class RuleOut(Shape):
    id = serializers.IntegerField(read_only=True)
    specialist = serializers.IntegerField(source="specialist_id")
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday")
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    visit_type = serializers.IntegerField(source="visit_type_id")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


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
    # Validated with `partial=True`: only the fields given change.
    pass


class TimeOffOut(Shape):
    id = serializers.IntegerField(read_only=True)
    specialist = serializers.IntegerField(source="specialist_id")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, allow_blank=True)


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
    # Admins book for a patient, named by their user id; a patient books for themselves.
    patient = id_field(required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RescheduleIn(serializers.Serializer):
    slot = id_field()


class BookingFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    start_after = serializers.DateTimeField(required=False)
    start_before = serializers.DateTimeField(required=False)


class VideoOut(Shape):
    join_url = serializers.URLField(allow_null=True)


class BookingOut(Shape):
    id = serializers.IntegerField(source="pk")
    patient = serializers.IntegerField(source="patient_id", help_text="The patient's user id.")
    specialist = serializers.IntegerField(source="slot.specialist_id")
    slot = serializers.IntegerField(source="slot_id")
    visit_type = serializers.IntegerField(source="slot.visit_type_id")
    start = serializers.DateTimeField(source="slot.start")
    end = serializers.DateTimeField(source="slot.end")
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    reason = serializers.CharField(
        allow_null=True, help_text="Only to the patient, their specialist, admins."
    )
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField(allow_blank=True)
    cancelled_by = serializers.SerializerMethodField()
    rescheduled_from = serializers.IntegerField(source="rescheduled_from_id", allow_null=True)
    attendance_confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the patient said they will attend (an SMS reply, or the page)."
    )
    video = serializers.SerializerMethodField(help_text="Only to the patient, their specialist, admins.")

    @extend_schema_field(serializers.ChoiceField(choices=Booking.Actor.choices, allow_null=True))
    def get_cancelled_by(self, booking: Booking) -> str | None:
        return booking.cancelled_by or None

    @extend_schema_field(VideoOut(allow_null=True))
    def get_video(self, booking: Booking) -> dict[str, str | None]:
        participant = self._participant()
        return {"join_url": join_url(booking, participant) if participant else None}

    def _participant(self) -> Participant | None:
        """Each side gets its own link, and an admin none: a patient's link would let them into
        the room as the patient. (Only the booking's own specialist can see it, so the role says
        which side is asking.)"""
        user = getattr(self.context.get("request"), "user", None)
        if is_admin(user):
            return None
        if getattr(user, "role", None) == User.Role.SPECIALIST:
            return Participant.SPECIALIST
        return Participant.PATIENT


class JoinOut(Shape):
    room = serializers.CharField()
    identity = serializers.CharField()
    access_token = serializers.CharField(allow_null=True, help_text="A Twilio Video access token, or null.")
    url = serializers.URLField(allow_null=True, help_text="The provider's room URL, or null.")
    expires_at = serializers.DateTimeField()


class WaitlistEntryIn(serializers.Serializer):
    specialty = SpecialtyRef()
    state = serializers.ChoiceField(choices=US_STATES, required=False, help_text="Default: the patient's.")
    specialist = serializers.PrimaryKeyRelatedField(
        queryset=Specialist.objects.filter(is_active=True), pk_field=id_field(), required=False
    )
    visit_type = VisitTypeRef(required=False)
    earliest = serializers.DateField(required=False, help_text="The first date that suits (yours).")
    latest = serializers.DateField(required=False, help_text="The last date that suits (yours).")


class WaitlistFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices, required=False)


class WaitlistEntryOut(Shape):
    id = serializers.IntegerField(source="pk")
    patient = serializers.IntegerField(source="patient_id", help_text="The patient's user id.")
    specialty = serializers.CharField(source="specialty.slug", help_text="The specialty's slug.")
    state = serializers.CharField()
    specialist = serializers.IntegerField(source="specialist_id", allow_null=True)
    visit_type = serializers.IntegerField(source="visit_type_id", allow_null=True)
    earliest = serializers.DateField(allow_null=True)
    latest = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices)
    created_at = serializers.DateTimeField()


class OfferOut(Shape):
    slot = serializers.IntegerField(source="slot_id")
    specialist = serializers.IntegerField(source="slot.specialist_id")
    visit_type = serializers.IntegerField(source="slot.visit_type_id")
    start = serializers.DateTimeField(source="slot.start")
    end = serializers.DateTimeField(source="slot.end")
    expires_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField(help_text="`lapsed` once the hold has run out.")

    @extend_schema_field(serializers.ChoiceField(choices=["open", "claimed", "declined", "lapsed"]))
    def get_status(self, offer: Offer) -> str:
        state = offer_state(offer)
        # To the holder of the link a withdrawn offer (time off, or they left the waitlist) is as
        # closed as one that ran out.
        return OfferState.LAPSED if state == OfferState.WITHDRAWN else state


class OfferClaimIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OfferFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Offer.Status.choices, required=False)


class AdminOfferOut(Shape):
    id = serializers.IntegerField(source="pk")
    entry = serializers.IntegerField(source="entry_id")
    slot = serializers.IntegerField(source="slot_id")
    patient = serializers.IntegerField(source="patient_id", help_text="The patient's user id.")
    status = serializers.ChoiceField(choices=Offer.Status.choices)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
