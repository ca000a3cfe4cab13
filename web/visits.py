"""The patient's visits: upcoming and past, one visit with its join link and messages to expect,
cancel and reschedule within the policy (scheduling.services.bookings), and its .ics."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from clinic.models import User
from core.errors import DomainError
from scheduling import ics, selectors, video
from scheduling.models import Booking
from scheduling.services import bookings
from web.accounts import INVALID
from web.context import viewer_timezone
from web.patient import errors_from, patient_required, set_choices, signed_in_patient, slots_by_day


def _bookings(request: HttpRequest) -> Any:
    assert isinstance(request.user, User)
    return selectors.booking_list(user=request.user).select_related(
        "slot__specialist__user", "slot__visit_type"
    )


def _booking(request: HttpRequest, pk: int) -> Booking:
    """The patient's own booking, else 404 (another's reads as none at all)."""
    return get_object_or_404(_bookings(request), pk=pk)


@patient_required
@require_http_methods(["GET", "HEAD"])
def visits(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mine = list(_bookings(request).order_by("slot__start"))
    upcoming = [b for b in mine if b.status == Booking.Status.CONFIRMED and b.slot.end > now]
    past = [b for b in reversed(mine) if b not in upcoming]
    return render(request, "web/patient/visits.html", {"upcoming": upcoming, "past": past})


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        max_length=500,
        required=False,
        widget=forms.TextInput,
    )


def _changeable(booking: Booking) -> bool:
    return booking.status == Booking.Status.CONFIRMED and not bookings.booking_within_cancellation_window(
        booking=booking
    )


def _reminders() -> str:
    """The reminder offsets as a person reads them: "24 hours and 1 hour"."""
    spans = []
    for seconds in settings.REMINDER_OFFSETS:
        if seconds % 3600 == 0:
            hours = seconds // 3600
            spans.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
        else:
            minutes = max(1, seconds // 60)
            spans.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    if len(spans) < 2:
        return "".join(spans)
    return _("%(first)s and %(last)s") % {"first": ", ".join(spans[:-1]), "last": spans[-1]}


def _visit_page(
    request: HttpRequest, booking: Booking, *, cancel_form: CancelForm | None = None, status: int = 200
) -> HttpResponse:
    patient = signed_in_patient(request)
    context = {
        "booking": booking,
        "patient": patient,
        "join_url": video.join_url(booking, video.Participant.PATIENT)
        if booking.status == Booking.Status.CONFIRMED
        else None,
        "upcoming": booking.status == Booking.Status.CONFIRMED and booking.slot.end > timezone.now(),
        "changeable": _changeable(booking),
        "window_hours": settings.CANCELLATION_WINDOW_HOURS,
        "clinic_phone": settings.CLINIC_PHONE,
        "reminders": _reminders(),
        "cancel_form": cancel_form or CancelForm(),
    }
    return render(request, "web/patient/visit.html", context, status=status)


@patient_required
@require_http_methods(["GET", "HEAD"])
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit: time, join link, add to calendar, the messages to expect, cancel, move."""
    return _visit_page(request, _booking(request, pk))


@patient_required
@require_POST
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _visit_page(request, booking, cancel_form=form, status=INVALID)
    assert isinstance(request.user, User)
    try:
        bookings.booking_cancel(booking=booking, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        form.add_error(None, exc.detail)
        return _visit_page(request, _booking(request, pk), cancel_form=form, status=exc.status)
    messages.success(request, _("Your visit is cancelled, and its time is free for others."))
    return redirect("web:visit", pk=booking.pk)


@patient_required
@require_POST
def visit_attend(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient says they will attend (as replying 1 to a reminder does)."""
    booking = _booking(request, pk)
    assert isinstance(request.user, User)
    try:
        bookings.booking_confirm_attendance(booking=booking, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return _visit_page(request, _booking(request, pk), status=exc.status)
    messages.success(request, _("Thank you: your specialist will see that you will attend."))
    return redirect("web:visit", pk=booking.pk)


class RescheduleForm(forms.Form):
    slot = forms.TypedChoiceField(label=_("New time"), coerce=int, widget=forms.RadioSelect)


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a visit to another free slot of the same specialist and visit type."""
    booking = _booking(request, pk)
    patient = signed_in_patient(request)
    assert patient is not None
    tz = viewer_timezone(request)
    free = selectors.slots_bookable(
        specialist=booking.slot.specialist_id, state=patient.state, visit_type=booking.slot.visit_type_id
    )[:30]
    form = RescheduleForm(request.POST if request.method == "POST" else None)
    # Any free slot id is acceptable to the form; the service decides whether it may be taken.
    set_choices(form, "slot", [(s.id, s.start.astimezone(tz).isoformat()) for s in free])
    status = 200
    if request.method == "POST":
        status = INVALID
        if not _changeable(booking):
            form.add_error(None, _("This visit can no longer be changed online."))
        elif form.is_valid():
            assert isinstance(request.user, User)
            try:
                new = bookings.booking_reschedule(
                    booking=booking, slot_id=form.cleaned_data["slot"], by=request.user
                )
            except DomainError as exc:
                errors_from(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Your visit is moved; the old time is freed."))
                return redirect("web:visit", pk=new.pk)
    context = {
        "booking": booking,
        "form": form,
        "days": slots_by_day(free, tz, {}),
        "changeable": _changeable(booking),
        "window_hours": settings.CANCELLATION_WINDOW_HOURS,
        "clinic_phone": settings.CLINIC_PHONE,
    }
    return render(request, "web/patient/reschedule.html", context, status=status)


@patient_required
@require_http_methods(["GET", "HEAD"])
def visit_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit's .ics (no PHI), as `bookings/{id}/calendar.ics` gives it, for the session."""
    booking = _booking(request, pk)
    response = HttpResponse(ics.booking_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="visit-{booking.pk}.ics"'
    return response


# --- Profile ----------------------------------------------------------------------------------------
