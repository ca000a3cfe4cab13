"""The patient's pages: find the earliest visit, a specialist's free slots by week, book, my
visits (cancel, reschedule, the .ics). Visits are web/visits.py, the profile web/profile.py.

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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from localflavor.us.us_states import US_STATES

from clinic import selectors as clinic_selectors
from clinic.models import Patient, Specialist, Specialty, User, VisitType
from core.errors import DomainError
from scheduling import selectors
from scheduling.models import Slot
from scheduling.services import bookings
from scheduling.sql import BookableSlot
from web.accounts import INVALID
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


def signed_in_patient(request: HttpRequest) -> Patient | None:
    user = request.user
    return getattr(user, "patient", None) if user.is_authenticated else None


def set_choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def errors_from(form: forms.Form, exc: DomainError) -> None:
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
    named = [(s.slug, gettext(s.name)) for s in Specialty.objects.all()]
    return sorted(named, key=lambda choice: choice[1])  # in the page's language's order


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
        set_choices(self, "specialty", _specialty_choices())
        kinds = VisitType.objects.order_by("-new_patient", "name")
        set_choices(
            self, "visit_type", [("", _("Any visit type")), *((v.pk, gettext(v.name)) for v in kinds)]
        )


def _specialists(ids: Iterable[int]) -> dict[int, Specialist]:
    return {s.pk: s for s in clinic_selectors.specialist_list(include_inactive=True).filter(pk__in=set(ids))}


def _visit_types(ids: Iterable[int]) -> dict[int, VisitType]:
    return VisitType.objects.in_bulk(set(ids))


@require_http_methods(["GET", "HEAD"])
def find(request: HttpRequest) -> HttpResponse:
    """The earliest bookable visit of each matching specialist, soonest first (the selector of
    `slots/next-available/`)."""
    patient = signed_in_patient(request)
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
        kinds = [("", _("Any visit type")), *((v.pk, gettext(v.name)) for v in visit_types)]
        set_choices(self, "visit_type", kinds)


@dataclass(frozen=True)
class FreeSlot:
    id: int
    start: dt.datetime
    kind: VisitType | None


def slots_by_day(
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
    patient = signed_in_patient(request)
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
        days=slots_by_day(found, tz, kinds),
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
    patient = signed_in_patient(request)
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
