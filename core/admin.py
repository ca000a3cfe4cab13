"""Admin pieces every app uses, and the audit trail's own page."""

from django.contrib import admin
from django.http import HttpRequest

from core.models import AuditEvent


class ViewOnly:
    """An admin that shows rows and changes none: for what only the services may change (they
    keep the rules, the messages and the audit trail that a hand edit would skip)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnly, admin.ModelAdmin):
    """The trail is written by the services and never edited."""

    list_display = ["at", "actor", "address", "action", "object_type", "object_id", "before", "after"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["=object_id", "actor__email", "action", "=address"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    show_full_result_count = False
