"""Clinic staff act for a patient who called (issue 12, item 9): book, cancel and move a visit
from the Django admin's booking pages, through the same services as the API (`booking_create`
with `patient`, `booking_cancel`, `booking_reschedule`): the same claim, policies and messages,
the admin in the audit trail. Only the API's admin role may (`core.permissions.is_admin`);
inside the patients' cancellation window too, which is why patients are told to call.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import PermissionDenied
from django.db.models import ManyToOneRel
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.models import Patient, User
from core.errors import DomainError
from core.permissions import is_admin
from scheduling.models import Booking, Slot
from scheduling.services import bookings

LOOKUPS = forms.Media(
    js=[
        "admin/js/vendor/jquery/jquery.min.js",
        "admin/js/jquery.init.js",
        "admin/js/core.js",
        "admin/js/admin/RelatedObjectLookups.js",
    ]
)


def _raw_id(field: str) -> ForeignKeyRawIdWidget:
    """The admin's own id box with its lookup popup (the list of patients or slots)."""
    relation = Booking._meta.get_field(field).remote_field
    assert isinstance(relation, ManyToOneRel)
    return ForeignKeyRawIdWidget(relation, admin.site)


class BookForm(forms.Form):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.all(),
        widget=_raw_id("patient"),
        label=gettext_lazy("Patient"),
        help_text=gettext_lazy("The patient's id; the magnifier finds them by name or email."),
    )
    slot = forms.ModelChoiceField(
        queryset=Slot.objects.all(),
        widget=_raw_id("slot"),
        label=gettext_lazy("Slot"),
        help_text=gettext_lazy("An open slot's id; the magnifier lists the slots."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the visit"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (kept with the booking)"), required=False, max_length=500
    )


class MoveForm(forms.Form):
    slot = forms.ModelChoiceField(
        queryset=Slot.objects.all(),
        widget=_raw_id("slot"),
        label=gettext_lazy("New slot"),
        help_text=gettext_lazy("An open slot's id; the magnifier lists the slots."),
    )


def _admin_only(request: HttpRequest) -> User:
    # Staff may enter the admin to watch the queue; acting for patients is the admin role's.
    if not is_admin(request.user) or not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _refused(form: forms.Form, exc: DomainError) -> None:
    """The service's refusal on the form: beside its field where it names one, else on top."""
    named = False
    for name, errors in (exc.fields or {}).items():
        if name in form.fields:
            named = True
            for error in errors:
                form.add_error(name, error)
    if not named:
        form.add_error(None, exc.detail)


def _page(request: HttpRequest, form: forms.Form, title: str, **extra: Any) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "form": form,
        "title": title,
        "opts": Booking._meta,
        # The admin's scripts for the id boxes' lookup popups.
        "media": LOOKUPS + form.media,
        **extra,
    }
    status = 400 if form.is_bound else 200
    return render(request, "admin/scheduling/booking/staff_form.html", context, status=status)


def _done(request: HttpRequest, booking: Booking, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("admin:scheduling_booking_change", args=[booking.pk]))


def book_for_patient(request: HttpRequest) -> HttpResponse:
    by = _admin_only(request)
    initial = {"patient": request.GET.get("patient")} if request.GET.get("patient", "").isdigit() else {}
    form = BookForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            result = bookings.booking_create(
                user=by,
                patient=form.cleaned_data["patient"].pk,
                slot_id=form.cleaned_data["slot"].pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            return _done(request, result.booking, _("Booked; the patient is told as when they book."))
    return _page(request, form, _("Book a visit for a patient"))


def cancel_for_patient(request: HttpRequest, pk: int) -> HttpResponse:
    by = _admin_only(request)
    booking = get_object_or_404(Booking.objects.select_related("slot", "patient__user"), pk=pk)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            bookings.booking_cancel(booking=booking, by=by, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            return _done(request, booking, _("Cancelled; the patient is told and the slot reopens."))
    return _page(request, form, _("Cancel this visit"), booking=booking, danger=True)


def move_for_patient(request: HttpRequest, pk: int) -> HttpResponse:
    by = _admin_only(request)
    booking = get_object_or_404(Booking.objects.select_related("slot", "patient__user"), pk=pk)
    form = MoveForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            new = bookings.booking_reschedule(booking=booking, slot_id=form.cleaned_data["slot"].pk, by=by)
        except DomainError as exc:
            _refused(form, exc)
        else:
            return _done(request, new, _("Moved; the patient is told and gets new join links."))
    return _page(request, form, _("Move this visit"), booking=booking)
