"""The Django admin's pages that show more than one app: a booking, with the messages about it.

Each app registers its own models in its own admin.py; a page that puts several apps together
is an interface of its own, so it is assembled here, above them all.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from clinic.models import User
from core.admin import Audited, ViewOnly
from core.permissions import is_admin
from notifications.admin import NotificationInline
from scheduling.models import Booking
from scheduling.services.bookings import booking_reasons_read
from web import staff


@admin.register(Booking)
class BookingAdmin(ViewOnly, Audited, admin.ModelAdmin):
    """View only: a booking changes through the services (the API), which claim slots, keep the
    policies, notify the patient and write the audit trail; a hand edit here would do none. So
    the admin's "Book a visit for a patient", "Move visit" and "Cancel visit" are forms of
    their own calling those services (web/staff.py)."""

    list_display = [
        "id",
        "patient",
        "slot",
        "status",
        "attendance_confirmed_at",
        "created_at",
        "cancelled_by",
    ]
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

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("book/", wrap(staff.book_for_patient), name="scheduling_booking_book"),
            path("<int:pk>/cancel/", wrap(staff.cancel_for_patient), name="scheduling_booking_cancel"),
            path("<int:pk>/move/", wrap(staff.move_for_patient), name="scheduling_booking_move"),
            *super().get_urls(),
        ]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_act_for_patient": is_admin(request.user)}
        return super().changeform_view(request, object_id, form_url, extra)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_act_for_patient": is_admin(request.user)}
        return super().changelist_view(request, extra)
