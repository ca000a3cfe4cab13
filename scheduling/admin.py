"""Django admin for availability and slots (a booking's page, which shows its messages too, is
put together in web/admin.py).

Every change made here goes through the same services as the API (`core.admin.ServiceAdmin`):
a rule is validated and regenerates its slots; time off closes the slots it touches and refuses,
or cancels on request, the confirmed visits inside it; a single slot is added and deleted as the
API does, and a booked (or held) one cannot be deleted. Time off and slots have no edit service (the API
has none either), so once made they are read-only here: delete and add again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from core.admin import Audited, ServiceAdmin, ServiceForm, ViewOnly
from scheduling.models import AvailabilityRule, IdempotencyKey, Offer, Slot, TimeOff, WaitlistEntry
from scheduling.services import rules, slots, time_off


class RuleForm(ServiceForm):
    def apply(self) -> AvailabilityRule:
        data = self.cleaned_data
        if self.instance.pk is None:
            fields = {name: data[name] for name in rules.RULE_FIELDS}
            return rules.rule_create(specialist=data["specialist"], **fields, by=self.by)  # type: ignore[arg-type]
        changes = {name: data[name] for name in self.changed_data if name in rules.RULE_FIELDS}
        return rules.rule_update(rule=self.instance, changes=changes, by=self.by)


@admin.register(AvailabilityRule)
class AvailabilityRuleAdmin(ServiceAdmin, admin.ModelAdmin):
    form = RuleForm
    fields = ["specialist", "weekday", "start_time", "end_time", "visit_type", "valid_from", "valid_until"]
    list_display = [
        "specialist",
        "weekday",
        "start_time",
        "end_time",
        "visit_type",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["weekday", "visit_type"]
    search_fields = ["specialist__user__last_name", "specialist__user__email"]
    list_select_related = ["specialist__user", "visit_type"]
    raw_id_fields = ["specialist"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["specialist"] if obj is not None else []  # a rule does not change hands

    def delete_through_service(self, obj: AvailabilityRule, by: Any) -> None:
        rules.rule_delete(rule=obj, by=by)


class TimeOffForm(ServiceForm):
    cancel_conflicting = forms.BooleanField(
        required=False,
        label="Cancel the confirmed visits inside",
        help_text="Otherwise time off over a confirmed visit is refused.",
    )

    def apply(self) -> TimeOff:
        data = self.cleaned_data
        return time_off.time_off_create(
            specialist=data["specialist"],
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            cancel_conflicting=data["cancel_conflicting"],
            by=self.by,
        ).time_off


@admin.register(TimeOff)
class TimeOffAdmin(ServiceAdmin, admin.ModelAdmin):
    form = TimeOffForm
    list_display = ["specialist", "start", "end", "reason"]
    list_filter = [("start", admin.DateFieldListFilter)]
    search_fields = ["specialist__user__last_name", "reason"]
    list_select_related = ["specialist__user"]
    raw_id_fields = ["specialist"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        made = ["specialist", "start", "end", "reason"]
        return made if obj is not None else [*made, "cancel_conflicting"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # no service moves time off: delete it and take it again

    def delete_through_service(self, obj: TimeOff, by: Any) -> None:
        time_off.time_off_delete(time_off=obj, by=by)


class SlotForm(ServiceForm):
    def apply(self) -> Slot:
        data = self.cleaned_data
        return slots.slot_add(
            specialist=data["specialist"], visit_type=data["visit_type"], start=data["start"], by=self.by
        )


@admin.register(Slot)
class SlotAdmin(ServiceAdmin, admin.ModelAdmin):
    form = SlotForm
    list_display = ["id", "specialist", "visit_type", "start", "end", "status"]
    list_filter = ["status", "withdrawn", "visit_type", ("start", admin.DateFieldListFilter)]
    search_fields = ["specialist__user__last_name", "specialist__user__email"]
    list_select_related = ["specialist__user", "visit_type"]
    raw_id_fields = ["specialist", "rule", "time_off"]
    date_hierarchy = "start"
    show_full_result_count = False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # a single slot: its end comes from the visit type
            return ["specialist", "visit_type", "start"]
        return ["specialist", "visit_type", "start", "end", "status", "rule", "time_off", "withdrawn"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a slot's status is the slots service's alone (bookings, rules, time off)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, list[str]]:
        # The service deletes only the slots themselves: one that a past or cancelled visit
        # points to retires and keeps its bookings (the PROTECT the admin would show), and a
        # booked one is refused.
        objs = list(objs)
        booked = [
            f"{slot}: cancel or move its visit first" for slot in objs if slot.status == Slot.Status.BOOKED
        ] + [
            f"{slot}: held for a patient on the waitlist" for slot in objs if slot.status == Slot.Status.HELD
        ]
        return [str(slot) for slot in objs], {Slot._meta.verbose_name_plural: len(objs)}, set(), booked

    def delete_through_service(self, obj: Slot, by: Any) -> None:
        slots.slot_delete(slot=obj, by=by)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ViewOnly, Audited, admin.ModelAdmin):
    """Written by the booking and time-off services; a hand edit would replay the wrong one."""

    list_display = ["key", "user", "booking", "time_off", "created_at"]
    search_fields = ["key", "user__email"]
    raw_id_fields = ["user", "booking", "time_off"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ViewOnly, Audited, admin.ModelAdmin):
    """Read-only: patients join and leave through their pages or the API (the waitlist service),
    and an offer changes an entry's status."""

    list_display = ["id", "patient", "specialty", "state", "specialist", "visit_type", "status", "created_at"]
    list_filter = ["status", "specialty", "state"]
    search_fields = ["patient__user__last_name", "patient__user__email"]
    list_select_related = ["patient__user", "specialty", "specialist__user", "visit_type"]
    raw_id_fields = ["patient", "specialist"]
    show_full_result_count = False


@admin.register(Offer)
class OfferAdmin(ViewOnly, Audited, admin.ModelAdmin):
    """Read-only: the waitlist service makes, passes on and closes offers. The token's nonce and
    hash are not shown: with the secret key, the nonce is the link."""

    list_display = ["id", "entry", "slot", "patient", "status", "expires_at", "created_at", "booking"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["patient__user__last_name", "patient__user__email"]
    list_select_related = ["entry", "slot", "patient__user", "booking"]
    fields = ["entry", "slot", "patient", "status", "expires_at", "created_at", "closed_at", "booking"]
    readonly_fields = [
        "entry",
        "slot",
        "patient",
        "status",
        "expires_at",
        "created_at",
        "closed_at",
        "booking",
    ]
    show_full_result_count = False
