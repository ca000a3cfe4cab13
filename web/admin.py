"""The Django admin's pages that show more than one app: a booking, with the messages about it.

Each app registers its own models in its own admin.py; a page that puts several apps together
is an interface of its own, so it is assembled here, above them all.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from clinic.models import User
from core.admin import Audited, ViewOnly
from notifications.admin import NotificationInline
from scheduling.models import Booking
from scheduling.services.bookings import booking_reasons_read


@admin.register(Booking)
class BookingAdmin(ViewOnly, Audited, admin.ModelAdmin):
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
    inlines = [NotificationInline]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Booking | None = None,
    ) -> HttpResponse:
        # The page shows the visit's reason: the trail records who read it (API.md).
        if obj is not None and isinstance(request.user, User):
            booking_reasons_read(by=request.user, bookings=[obj])
        return super().render_change_form(request, context, add, change, form_url, obj)
