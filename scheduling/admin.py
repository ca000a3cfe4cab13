"""Django admin for availability, slots and bookings."""

from django.contrib import admin

from clinic.admin import ViewOnly
from scheduling.models import AvailabilityRule, Booking, IdempotencyKey, Slot, TimeOff


@admin.register(AvailabilityRule)
class AvailabilityRuleAdmin(admin.ModelAdmin):
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


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["specialist", "start", "end", "reason"]
    list_filter = [("start", admin.DateFieldListFilter)]
    search_fields = ["specialist__user__last_name", "reason"]
    list_select_related = ["specialist__user"]
    raw_id_fields = ["specialist"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["id", "specialist", "visit_type", "start", "end", "status"]
    list_filter = ["status", "withdrawn", "visit_type", ("start", admin.DateFieldListFilter)]
    search_fields = ["specialist__user__last_name", "specialist__user__email"]
    list_select_related = ["specialist__user", "visit_type"]
    raw_id_fields = ["specialist", "rule", "time_off"]
    date_hierarchy = "start"
    show_full_result_count = False


@admin.register(Booking)
class BookingAdmin(ViewOnly, admin.ModelAdmin):
    """View only: a booking changes through the services (the API), which claim slots, keep the
    policies, notify the patient and write the audit trail; a hand edit here would do none."""

    list_display = ["id", "patient", "slot", "status", "created_at", "cancelled_by"]
    list_filter = ["status", "cancelled_by", ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "patient__user__email",
        "patient__user__last_name",
        "slot__specialist__user__last_name",
    ]
    list_select_related = ["patient__user", "slot"]
    raw_id_fields = ["patient", "slot", "rescheduled_from"]
    show_full_result_count = False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "booking", "created_at"]
    search_fields = ["key", "user__email"]
    raw_id_fields = ["user", "booking"]
