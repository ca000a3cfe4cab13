"""The patient's pages: find the earliest visit, a specialist's free slots by week, book, my
visits (cancel, reschedule, the .ics), and the profile.

Thin views over the API's own selectors and services (scheduling.selectors, scheduling.services
.bookings, clinic.services.profile_update): the rules live there, and a refusal (a DomainError)
comes back to the page as a message beside the form, with the next free slots where they help.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from localflavor.us.us_states import US_STATES

from clinic import selectors as clinic_selectors
from clinic import serializers as clinic_serializers
from clinic.models import Patient, Specialist, Specialty, User, VisitType
from clinic.services import profile_update
from core.errors import DomainError
from scheduling import ics, selectors, video
from scheduling.models import Booking, Slot
from scheduling.services import bookings
from scheduling.sql import BookableSlot
from web.accounts import INVALID, _zone_choices
from web.context import viewer_timezone

PAGE_SIZE = 20  # specialists on the "see a neurologist soon" page
ALTERNATIVES = 6  # free slots offered when a booking is refused
MAX_WEEKS = 1 + settings.BOOKING_HORIZON_DAYS // 7

View = Callable[..., HttpResponse]


def patient_required(view: View) -> View:
    """Signed out: to the sign-in page and back. Signed in but not a patient: 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request.user, "role", None) != User.Role.PATIENT:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _patient(request: HttpRequest) -> Patient | None:
    user = request.user
    return getattr(user, "patient", None) if user.is_authenticated else None


def _choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _errors_from(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal beside the fields it names, else above the form."""
    placed = False
    for name, errors in (exc.fields or {}).items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


# --- Find a visit -------------------------------------------------------------------------------


def _specialty_choices() -> list[tuple[str, str]]:
    return [(s.slug, s.name) for s in Specialty.objects.order_by("name")]


class FindForm(forms.Form):
    specialty = forms.ChoiceField(label=_("Condition"))
    state = forms.ChoiceField(
        label=_("State you are in"),
        choices=US_STATES,
        help_text=_("Specialists must be licensed in the state where you are during the visit."),
    )
    visit_type = forms.TypedChoiceField(
        label=_("Visit type"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("A follow-up needs an earlier visit with the same specialist."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "specialty", _specialty_choices())
        kinds = VisitType.objects.order_by("-new_patient", "name")
        _choices(self, "visit_type", [("", _("Any visit type")), *((v.pk, v.name) for v in kinds)])


def _specialists(ids: Iterable[int]) -> dict[int, Specialist]:
    return {s.pk: s for s in clinic_selectors.specialist_list(include_inactive=True).filter(pk__in=set(ids))}


def _visit_types(ids: Iterable[int]) -> dict[int, VisitType]:
    return VisitType.objects.in_bulk(set(ids))


@require_http_methods(["GET", "HEAD"])
def find(request: HttpRequest) -> HttpResponse:
    """The earliest bookable visit of each matching specialist, soonest first (the selector of
    `slots/next-available/`)."""
    patient = _patient(request)
    if "specialty" not in request.GET:
        initial = {"state": patient.state if patient else "NY"}
        return render(request, "web/patient/find.html", {"form": FindForm(initial=initial)})
    form = FindForm(request.GET)
    if not form.is_valid():
        return render(request, "web/patient/find.html", {"form": form}, status=INVALID)
    search = form.cleaned_data
    found = selectors.slots_next_available(
        specialty=search["specialty"], state=search["state"], visit_type=search["visit_type"]
    )[:PAGE_SIZE]
    people = _specialists(s.specialist_id for s in found)
    kinds = _visit_types(s.visit_type_id for s in found)
    results = [
        {"slot": s, "specialist": people[s.specialist_id], "visit_type": kinds[s.visit_type_id]}
        for s in found
        if s.specialist_id in people
    ]
    return render(request, "web/patient/find.html", {"form": form, "search": search, "results": results})


# --- A specialist's free slots, by week -------------------------------------------------------------


class WeekForm(forms.Form):
    """The query of a specialist's page: which week, for which state, which visit type."""

    week = forms.IntegerField(min_value=0, max_value=MAX_WEEKS, required=False, widget=forms.HiddenInput)
    state = forms.ChoiceField(label=_("State you are in"), choices=US_STATES, required=False)
    visit_type = forms.TypedChoiceField(label=_("Visit type"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, visit_types: Iterable[VisitType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [("", _("Any visit type")), *((v.pk, v.name) for v in visit_types)]
        _choices(self, "visit_type", kinds)


@dataclass(frozen=True)
class FreeSlot:
    id: int
    start: dt.datetime
    kind: VisitType | None


def _days(
    found: Iterable[BookableSlot], tz: Any, kinds: dict[int, VisitType]
) -> list[tuple[dt.date, list[FreeSlot]]]:
    """Free slots by day in the viewer's zone, each with its visit type."""
    days: dict[dt.date, list[FreeSlot]] = {}
    for slot in found:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(
            FreeSlot(slot.id, slot.start, kinds.get(slot.visit_type_id))
        )
    return list(days.items())


@require_http_methods(["GET", "HEAD"])
def specialist(request: HttpRequest, pk: int) -> HttpResponse:
    """A specialist's free slots for one week (from today, in the viewer's zone), by day."""
    person = get_object_or_404(clinic_selectors.specialist_list(), pk=pk)
    offered = list(person.visit_types.all())
    form = WeekForm(request.GET, visit_types=offered)
    context: dict[str, Any] = {"specialist": person, "form": form, "offered": offered}
    if not form.is_valid():
        return render(request, "web/patient/specialist.html", context, status=INVALID)
    patient = _patient(request)
    week = form.cleaned_data["week"] or 0
    state = form.cleaned_data["state"] or (patient.state if patient else None)
    tz = viewer_timezone(request)
    today = timezone.now().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today + dt.timedelta(days=7 * week)).replace(tzinfo=None)
    start_at = start.replace(tzinfo=tz)
    end_at = (start + dt.timedelta(days=7)).replace(tzinfo=tz)
    found = selectors.slots_bookable(
        specialist=person.pk,
        state=state,
        visit_type=form.cleaned_data["visit_type"],
        start_after=start_at,
        start_before=end_at,
    )[:500]
    kinds = {v.pk: v for v in offered}
    today_local = timezone.localdate()
    licensed_here = not state or any(
        lic.state == state and lic.expires_on >= today_local for lic in person.licenses.all()
    )
    query = {"state": state or "", "visit_type": form.cleaned_data["visit_type"] or ""}
    context.update(
        days=_days(found, tz, kinds),
        several_kinds=len(offered) > 1,
        week=week,
        week_start=start_at,
        week_end=end_at - dt.timedelta(days=1),
        previous_week=week - 1 if week > 0 else None,
        next_week=week + 1 if week + 1 <= MAX_WEEKS else None,
        query=query,
        state=state,
        licensed_here=licensed_here,
    )
    return render(request, "web/patient/specialist.html", context)


# --- Booking ----------------------------------------------------------------------------------------


class BookForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the visit"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only you, your specialist and the clinic's staff see it; it is never in a message."),
    )
    # A one-time key written into the form when it is shown: a second submission of the same
    # form (a double tap, a reload) replays the first booking, as the API's Idempotency-Key does.
    key = forms.UUIDField(widget=forms.HiddenInput)


def _alternatives(slot: Slot, patient: Patient, refusal: DomainError | None) -> list[BookableSlot]:
    """The specialist's next free slots of the same visit type (of a new-patient visit when a
    follow-up was refused), else of any."""
    kind: int | None = slot.visit_type_id
    if refusal is not None and refusal.code == "follow_up_requires_prior_visit":
        first_visit = slot.specialist.visit_types.filter(new_patient=True).order_by("name").first()
        kind = first_visit.pk if first_visit else None
    search = {"specialist": slot.specialist_id, "state": patient.state}
    found = selectors.slots_bookable(**search, visit_type=kind)[:ALTERNATIVES] if kind else []
    return found or selectors.slots_bookable(**search)[:ALTERNATIVES]


def _slot(pk: int) -> Slot:
    return get_object_or_404(
        Slot.objects.select_related("specialist__user", "visit_type").exclude(status=Slot.Status.RETIRED),
        pk=pk,
    )


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def book(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(slot_id)
    patient = _patient(request)
    assert patient is not None  # a patient user always has a Patient row
    refusal: DomainError | None = None
    if request.method == "POST":
        form = BookForm(request.POST)
        if form.is_valid():
            try:
                result = bookings.booking_create(
                    user=patient.user,
                    slot_id=slot.pk,
                    reason=form.cleaned_data["reason"],
                    idempotency_key=str(form.cleaned_data["key"]),
                )
            except DomainError as exc:
                if exc.code == "idempotency_key_reused":
                    # This form already booked, and was changed and sent again: the booking stands.
                    messages.warning(request, _("This form was already sent: your booking is below."))
                    return redirect("web:visits")
                # Refused: nothing was stored under the key, so the same form may try again.
                refusal = exc
                slot.refresh_from_db(fields=["status"])
            else:
                return redirect("web:visit", pk=result.booking.pk)
        status = refusal.status if refusal else INVALID
    else:
        form = BookForm(initial={"key": uuid.uuid4()})
        status = 200
    context = {
        "slot": slot,
        "form": form,
        "refusal": refusal.detail if refusal else None,
        "taken": not slot.is_open,
        "alternatives": _alternatives(slot, patient, refusal) if refusal or not slot.is_open else [],
    }
    return render(request, "web/patient/book.html", context, status=status)


# --- My visits --------------------------------------------------------------------------------------


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
    window = dt.timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)
    return booking.status == Booking.Status.CONFIRMED and booking.slot.start - timezone.now() >= window


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
    patient = _patient(request)
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


class RescheduleForm(forms.Form):
    slot = forms.TypedChoiceField(label=_("New time"), coerce=int, widget=forms.RadioSelect)


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a visit to another free slot of the same specialist and visit type."""
    booking = _booking(request, pk)
    patient = _patient(request)
    assert patient is not None
    tz = viewer_timezone(request)
    free = selectors.slots_bookable(
        specialist=booking.slot.specialist_id, state=patient.state, visit_type=booking.slot.visit_type_id
    )[:30]
    form = RescheduleForm(request.POST if request.method == "POST" else None)
    # Any free slot id is acceptable to the form; the service decides whether it may be taken.
    _choices(form, "slot", [(s.id, s.start.astimezone(tz).isoformat()) for s in free])
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
                _errors_from(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Your visit is moved; the old time is freed."))
                return redirect("web:visit", pk=new.pk)
    context = {
        "booking": booking,
        "form": form,
        "days": _days(free, tz, {}),
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


class ProfileForm(forms.Form):
    """The fields of PATCH `me/`; the API's serializer (ProfileIn) checks them."""

    first_name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("With the country code, e.g. +12125550123. Text reminders go to this number."),
    )
    state = forms.ChoiceField(
        label=_("State you live in"),
        choices=US_STATES,
        help_text=_("Searches show specialists licensed in this state."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"), help_text=_("Every time on these pages and in your messages is shown in it.")
    )
    email_opt_in = forms.BooleanField(
        label=_("Email me confirmations and reminders"),
        required=False,
        help_text=_("Opting out of email stops confirmations and reminders by email."),
    )
    sms_opt_in = forms.BooleanField(
        label=_("Text me reminders (SMS)"),
        required=False,
        help_text=_(
            "Opting out of SMS stops reminders by SMS, at once, including those already planned. "
            "Message and data rates may apply."
        ),
    )

    validated: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "timezone", _zone_choices())

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.errors:
            return self.cleaned_data
        checked = clinic_serializers.ProfileIn(data=self.cleaned_data)
        if not checked.is_valid():
            for name, errors in checked.errors.items():
                for error in errors:
                    self.add_error(name if name in self.fields else None, str(error))
            return self.cleaned_data
        self.validated = dict(checked.validated_data)
        return self.cleaned_data


def _changed(patient: Patient, validated: dict[str, Any]) -> dict[str, Any]:
    """What the form changes: the page sends every field, PATCH `me/` only those it changes, and
    the audit trail and the messages waiting to be sent should see only real changes."""
    current = {
        name: getattr(patient.user if name in ("first_name", "last_name") else patient, name)
        for name in validated
    }
    return {name: value for name, value in validated.items() if str(value) != str(current[name])}


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    assert patient is not None
    user = patient.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                profile_update(user=user, changes=_changed(patient, form.validated))
            except DomainError as exc:
                _errors_from(form, exc)
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("web:profile")
        return render(request, "web/patient/profile.html", {"form": form}, status=INVALID)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": str(patient.phone),
        "state": patient.state,
        "timezone": str(patient.timezone),
        "email_opt_in": patient.email_opt_in,
        "sms_opt_in": patient.sms_opt_in,
    }
    return render(request, "web/patient/profile.html", {"form": ProfileForm(initial=initial)})
