"""Clinic staff act for a patient who called (issue 12, item 9): book, cancel and move a visit
from the Django admin's booking pages (booking: choose a specialist, then one of their next free
slots, listed by `slots_bookable` as the patients' pages list them; no JavaScript needed), through the same services as the API (`booking_create`
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

from clinic.models import Patient, Specialist, User, VisitType
from core.errors import DomainError
from core.permissions import is_admin
from scheduling import selectors
from scheduling.models import Booking, Slot
from scheduling.services import bookings
from web.context import viewer_timezone
from web.patient import errors_from
from web.templatetags.clinic_time import local

# How many of the specialist's next free slots the booking page lists to choose from.
NEXT_FREE = 20

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


class ChooseForm(forms.Form):
    """The booking page's first step, a GET form: whose next free slots to list."""

    specialist = forms.ModelChoiceField(
        queryset=Specialist.objects.filter(is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name"),
        label=gettext_lazy("Specialist"),
        help_text=gettext_lazy("Their next free slots are listed to choose from."),
    )
    visit_type = forms.ModelChoiceField(
        queryset=VisitType.objects.all(),
        required=False,
        empty_label=gettext_lazy("Any visit type"),
        label=gettext_lazy("Visit type"),
    )
    # Carried from the patient's admin page ("book a visit for them") to the booking form; with
    # it, only the slots the patient's state allows are listed.
    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), required=False, widget=forms.HiddenInput)


# The two forms share one page and the field name `patient`: ids of their own keep each label
# on its own control.
CHOOSE_IDS = "choose_%s"


class BookForm(forms.Form):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.all(),
        widget=_raw_id("patient"),
        label=gettext_lazy("Patient"),
        help_text=gettext_lazy("The patient's id; the magnifier finds them by name or email."),
    )
    # Any slot id validates here: the service decides whether it is still free, and says so.
    slot = forms.ModelChoiceField(
        queryset=Slot.objects.all(),
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),  # the admin's own radio list style
        label=gettext_lazy("Free slot"),
        help_text=gettext_lazy("The specialist's next free slots, soonest first."),
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


def _page(
    request: HttpRequest,
    form: forms.Form,
    title: str,
    template: str = "admin/scheduling/booking/staff_form.html",
    status: int | None = None,
    refusal: DomainError | None = None,
    **extra: Any,
) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "form": form,
        "title": title,
        "opts": Booking._meta,
        # The admin's scripts for the id boxes' lookup popups.
        "media": LOOKUPS + form.media,
        **extra,
    }
    # The service's refusal answers with its own status, as the API does (a slot taken
    # meanwhile: 409); a form sent wrong, 400.
    if refusal is not None:
        status = refusal.status
    elif status is None:
        status = 400 if form.is_bound else 200
    return render(request, template, context, status=status)


def _done(request: HttpRequest, booking: Booking, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("admin:scheduling_booking_change", args=[booking.pk]))


def _free_slots(request: HttpRequest, form: BookForm, chosen: dict[str, Any]) -> list[tuple[int, str]]:
    """The next free slots of the chosen specialist (after a refusal without a choice, of the
    refused slot's), as the booking form's choices, each labelled with its time and visit type."""
    specialist = chosen.get("specialist")
    if specialist is None and isinstance(form.cleaned_data.get("slot") if form.is_bound else None, Slot):
        specialist = form.cleaned_data["slot"].specialist
    if specialist is None:
        return []
    patient = chosen.get("patient")
    kind = chosen.get("visit_type")
    free = selectors.slots_bookable(
        specialist=specialist.pk,
        visit_type=kind.pk if kind else None,
        state=patient.state if patient else None,
    )[:NEXT_FREE]
    names = dict(VisitType.objects.filter(pk__in={s.visit_type_id for s in free}).values_list("pk", "name"))
    tz = viewer_timezone(request)
    return [(s.id, f"{local(s.start, tz)} · {names.get(s.visit_type_id, '')}") for s in free]


def book_for_patient(request: HttpRequest) -> HttpResponse:
    """Choose a specialist (a GET form), then one of their next free slots, the patient and the
    reason; a slot taken meanwhile is refused (409) beside the list, which is read again."""
    by = _admin_only(request)
    if "specialist" in request.GET:
        choose = ChooseForm(request.GET, auto_id=CHOOSE_IDS)
    else:
        patient = request.GET.get("patient", "")
        choose = ChooseForm(initial={"patient": patient} if patient.isdigit() else {}, auto_id=CHOOSE_IDS)
    chosen = choose.cleaned_data if choose.is_bound and choose.is_valid() else {}
    posted = request.POST if request.method == "POST" else None
    form = BookForm(posted, initial={"patient": chosen["patient"].pk} if chosen.get("patient") else {})
    refusal: DomainError | None = None
    if form.is_valid():
        try:
            result = bookings.booking_create(
                user=by,
                patient=form.cleaned_data["patient"].pk,
                slot_id=form.cleaned_data["slot"].pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            errors_from(form, exc)
            refusal = exc
        else:
            return _done(request, result.booking, _("Booked; the patient is told as when they book."))
    free = _free_slots(request, form, chosen)
    form.fields["slot"].widget.choices = free
    refused = form.is_bound or (choose.is_bound and not chosen)
    return _page(
        request,
        form,
        _("Book a visit for a patient"),
        template="admin/scheduling/booking/staff_book.html",
        status=400 if refused else 200,
        refusal=refusal,
        choose=choose,
        listed=bool(chosen) or form.is_bound,
        free=free,
    )


def cancel_for_patient(request: HttpRequest, pk: int) -> HttpResponse:
    by = _admin_only(request)
    booking = get_object_or_404(Booking.objects.select_related("slot", "patient__user"), pk=pk)
    form = CancelForm(request.POST if request.method == "POST" else None)
    refusal: DomainError | None = None
    if form.is_valid():
        try:
            bookings.booking_cancel(booking=booking, by=by, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            errors_from(form, exc)
            refusal = exc
        else:
            return _done(request, booking, _("Cancelled; the patient is told and the slot reopens."))
    return _page(request, form, _("Cancel this visit"), refusal=refusal, booking=booking, danger=True)


def move_for_patient(request: HttpRequest, pk: int) -> HttpResponse:
    by = _admin_only(request)
    booking = get_object_or_404(Booking.objects.select_related("slot", "patient__user"), pk=pk)
    form = MoveForm(request.POST if request.method == "POST" else None)
    refusal: DomainError | None = None
    if form.is_valid():
        try:
            new = bookings.booking_reschedule(booking=booking, slot_id=form.cleaned_data["slot"].pk, by=by)
        except DomainError as exc:
            errors_from(form, exc)
            refusal = exc
        else:
            return _done(request, new, _("Moved; the patient is told and gets new join links."))
    return _page(request, form, _("Move this visit"), refusal=refusal, booking=booking)
