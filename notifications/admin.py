"""Django admin for the reminder queue."""

from django.contrib import admin

from notifications.models import DispatcherRun, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "booking",
        "kind",
        "channel",
        "status",
        "send_at",
        "attempts",
        "sent_at",
        "error_code",
    ]
    list_filter = ["status", "channel", "kind", ("send_at", admin.DateFieldListFilter)]
    search_fields = ["booking__patient__user__email", "booking__patient__phone", "provider_id"]
    list_select_related = ["booking"]
    raw_id_fields = ["booking"]
    readonly_fields = ["created_at", "updated_at", "queued_at", "sending_at", "sent_at", "delivered_at"]
    date_hierarchy = "send_at"
    show_full_result_count = False


@admin.register(DispatcherRun)
class DispatcherRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "claimed", "reclaimed"]
