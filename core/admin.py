"""Admin pieces every app uses, and the audit trail's own page.

`Audited` records every add, change and deletion made in the Django admin in the audit trail,
beside the admin's own log and in the same transaction. `ServiceForm` and `ServiceAdmin` make an
admin page change its model through the app's services, as the API does, with a refusal shown on
the form. `ViewOnly` is for what only the services may change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from core.audit import audit_event_record
from core.errors import DomainError
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


def _summary(message: Any) -> dict[str, Any]:
    """The admin's change message as the trail keeps it: which fields, and which inline rows
    were added, changed or deleted, never a row's text (`object`: its str, an email perhaps)."""
    if not isinstance(message, list):
        return {}
    fields: list[str] = []
    inlines: list[dict[str, Any]] = []
    for entry in message:
        for verb, about in entry.items():
            if "name" in about:
                inlines.append(
                    {verb: str(about["name"]), "fields": [str(f) for f in about.get("fields", [])]}
                )
            else:
                fields.extend(str(f) for f in about.get("fields", []))
    return {"fields": fields, **({"inlines": inlines} if inlines else {})}


class Audited:
    """Mixin for a ModelAdmin: every add, change and deletion made on its pages (and by its bulk
    actions) is an audit event `admin.added` / `admin.changed` / `admin.deleted` by the signed-in
    user, naming the fields, in the transaction of the change (the admin's views are atomic; its
    bulk actions are made so here)."""

    def _record(
        self, request: HttpRequest, action: str, obj: models.Model, after: dict[str, Any] | None
    ) -> None:
        audit_event_record(actor=request.user, action=f"admin.{action}", obj=obj, before=None, after=after)

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._record(request, "added", obj, {"via": "admin", **_summary(message)})
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._record(request, "changed", obj, {"via": "admin", **_summary(message)})
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._record(request, "deleted", obj, None)
        return super().log_deletions(request, queryset)  # type: ignore[misc]

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        # Django's bulk delete logs, then deletes, outside any transaction: one for both.
        with transaction.atomic():
            return super().response_action(request, queryset)  # type: ignore[misc]


class _TryOnly(Exception):
    """Rolls back the savepoint in which a form tried its change."""


class ServiceForm(forms.ModelForm):
    """A ModelForm whose change a service makes (`apply`). `clean()` tries the change in a
    savepoint it always rolls back, so the service's refusal (InvalidInput, Conflict, a
    constraint) shows on the form; `ServiceAdmin.save_model` then makes it. Everything the
    try did, its messages and on-commit tasks included, goes with the savepoint."""

    by: Any = None  # the signed-in user, set by ServiceAdmin.get_form

    def apply(self) -> models.Model:
        """Make the change through the service, from `cleaned_data`; return the object."""
        raise NotImplementedError

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.apply()
                raise _TryOnly
        except _TryOnly:
            pass
        except DomainError as exc:
            self._refused(exc)
        except IntegrityError:  # a concurrent change got there first
            self.add_error(None, "Another change to this schedule came first; try again.")
        return cleaned

    def _refused(self, exc: DomainError) -> None:
        extra = " ".join(f"{key}: {value}" for key, value in exc.extra.items())
        self.add_error(None, f"{exc.detail} {extra}".strip())
        for name, messages in (exc.fields or {}).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)


class ServiceAdmin(Audited):
    """Mixin for a ModelAdmin whose form is a `ServiceForm`: adds and changes go through it,
    deletions through `delete_through_service`, so the admin keeps the rules the API keeps."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        return type(form.__name__, (form,), {"by": request.user})

    def save_model(self, request: HttpRequest, obj: models.Model, form: ServiceForm, change: bool) -> None:
        made = form.apply()
        obj.pk = made.pk
        obj.refresh_from_db()

    def delete_through_service(self, obj: Any, by: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self.delete_through_service(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_through_service(obj, by=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnly, admin.ModelAdmin):
    """The trail is written by the services and never edited."""

    list_display = ["at", "actor", "address", "action", "object_type", "object_id", "before", "after"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["=object_id", "actor__email", "action", "=address"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    show_full_result_count = False
