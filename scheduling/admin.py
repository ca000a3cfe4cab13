"""Django admin for availability and slots (a booking's page, which shows its messages too, is
put together in web/admin.py)."""

from django.contrib import admin

from scheduling.models import AvailabilityRule, IdempotencyKey, Slot, TimeOff


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


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "booking", "created_at"]
    search_fields = ["key", "user__email"]
    raw_id_fields = ["user", "booking"]
