"""Django admin for the reminder queue: read-only rows, steered only by actions.

A notification's status is changed by the pipeline, or by an admin through the same services as
the API (`retry`, `cancel`), which keep the state rules and write the audit trail; so the rows
are view-only and the actions are the way to steer them. A booking's page lists its messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from clinic.models import User
from core.admin import Audited, ViewOnly
from core.errors import DomainError
from notifications.models import DispatcherRun, Notification, SmsOptOut
from notifications.privacy import mask_contacts, mask_recipient
from notifications.services import steering


def _steer(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Notification],
    service: Callable[..., Notification],
    verb: str,
) -> None:
    by = cast(User, request.user)  # the admin site lets only authenticated staff in
    done, refused = 0, []
    for pk in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            service(notification_id=pk, by=by)
            done += 1
        except DomainError as exc:  # its status does not allow it (or it changed meanwhile)
            refused.append(f"{pk}: {exc.detail}")
    if done:
        modeladmin.message_user(request, f"{done} notification(s) {verb}.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, f"Not {verb}: {' '.join(refused)}", messages.WARNING)


# The rows are view-only, so the actions cannot ask for Django's "change" (ViewOnly refuses it to
# everyone): they ask for "steer", which is the change permission itself. Without it an operator
# who may only look at the queue would retry and cancel from the list.
@admin.action(description="Retry the selected failed or cancelled notifications now", permissions=["steer"])
def retry(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
    # As on the dashboard: no retry whose send could only cancel the message again.
    futile = [
        n.pk
        for n in queryset.select_related("booking").order_by("pk")
        if n.status in steering.RETRYABLE and not steering.retry_could_send(n)
    ]
    if futile:
        modeladmin.message_user(
            request,
            f"Not retried: {', '.join(map(str, futile))}: about a visit that is cancelled or moved, "
            "a retry would only cancel them again.",
            messages.WARNING,
        )
    _steer(modeladmin, request, queryset.exclude(pk__in=futile), steering.notification_retry, "retried")


@admin.action(description="Cancel the selected pending or queued notifications", permissions=["steer"])
def cancel(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
    _steer(modeladmin, request, queryset, steering.notification_cancel, "cancelled")


class MaskedContacts:
    """A notification's contact details as operators see them: masked."""

    @admin.display(description="recipient")
    def masked_recipient(self, notification: Notification) -> str:
        return mask_recipient(notification.recipient)

    @admin.display(description="last error")
    def masked_error(self, notification: Notification) -> str:
        return mask_contacts(notification.last_error)


# What a row of messages shows of each, in the list and on a booking's page.
SUMMARY = ("kind", "channel", "status", "send_at", "attempts", "sent_at", "error_code", "masked_error")


@admin.register(Notification)
class NotificationAdmin(MaskedContacts, ViewOnly, Audited, admin.ModelAdmin):
    list_display = ["id", "booking", "audience", "masked_recipient", *SUMMARY]
    list_filter = ["status", "channel", "kind", "audience", ("send_at", admin.DateFieldListFilter)]
    search_fields = [
        "booking__patient__user__email",
        "booking__patient__phone",
        "provider_id",
        "=booking__id",
        "=subject",
    ]
    list_select_related = ["booking"]
    date_hierarchy = "send_at"
    show_full_result_count = False
    actions = [retry, cancel]

    def has_steer_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_notification")

    # The change page too shows contact details masked (minimum necessary: an operator tells
    # messages apart by their last digits; the patient's record has the rest).
    fields = (
        "subject",
        "audience",
        "booking",
        "kind",
        "variant",
        "offset",
        "channel",
        "masked_recipient",
        "status",
        "send_at",
        "attempts",
        "error_code",
        "masked_error",
        "provider_id",
        "queued_at",
        "sending_at",
        "sent_at",
        "delivered_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


INLINE_FIELDS = ("offset", *SUMMARY)


class NotificationInline(MaskedContacts, ViewOnly, admin.TabularInline):
    model = Notification
    fields = INLINE_FIELDS
    readonly_fields = INLINE_FIELDS

    ordering = ["send_at", "id"]
    extra = 0
    show_change_link = True


@admin.register(DispatcherRun)
class DispatcherRunAdmin(ViewOnly, Audited, admin.ModelAdmin):
    list_display = ["name", "last_run_at", "claimed", "reclaimed"]


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ViewOnly, Audited, admin.ModelAdmin):
    """Numbers that replied STOP. View only: Twilio blocks them until they reply START, which
    is the only way out (a row deleted here would not lift Twilio's block)."""

    list_display = ["masked_phone", "at"]
    fields = ("masked_phone", "at")
    readonly_fields = fields
    search_fields = ["=phone"]  # an operator who has the whole number may check it

    @admin.display(description="phone")
    def masked_phone(self, opt_out: SmsOptOut) -> str:
        return mask_recipient(opt_out.phone)
