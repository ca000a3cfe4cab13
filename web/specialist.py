"""The specialist's workspace: their week (slots and visits), weekly hours and time off.

Thin views over the API's own services and selectors (scheduling.services.rules, time_off,
bookings; scheduling.selectors scoped to the signed-in user), with Django forms for input. A
specialist's pages work in the specialist's own zone: the forms read and show wall-clock times
there, as the weekly rules are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe
from rest_framework.exceptions import APIException

from clinic.access import caller, specialist_of
from clinic.models import Specialist, User, VisitType
from core.errors import Conflict, DomainError
from scheduling import selectors
from scheduling.expansion import horizon_end
from scheduling.models import AvailabilityRule, Booking, Slot
from scheduling.services import bookings, rules

# A form the browser sent wrong answers 400 (a state that forbids it, 409), with the page again.
INVALID = 400
CONFLICT = 409
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
# Visits still waiting for an outcome are shown this far back; upcoming ones this far ahead.
OUTCOME_DAYS = 14
UPCOMING_DAYS = 7
# How far from today a page's dates may reach: further is a typo, or a probe for an overflow.
REACH = dt.timedelta(days=5 * 365)

P = ParamSpec("P")
SpecialistView = Callable[Concatenate[HttpRequest, Specialist, P], HttpResponse]


def specialist_page(view: SpecialistView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Signed out: to the sign-in page. Signed in as anyone but a specialist: 404 (the page is
    not theirs). The view gets the specialist and runs in their zone, so forms read and show
    wall-clock times there."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            specialist = specialist_of(request)  # type: ignore[arg-type]
        except APIException as exc:
            raise Http404() from exc
        with timezone.override(specialist.timezone):
            return view(request, specialist, *args, **kwargs)

    return wrapped


def put_errors(form: forms.Form, error: DomainError) -> None:
    """A service's refusal beside the fields it names, else above the form. The sentence is the
    error's own detail: its per-field messages speak the API's field names."""
    named = [name for name in error.fields or {} if name in form.fields]
    for name in named:
        form.add_error(name, error.detail)
    if not named:
        form.add_error(None, error.detail)


# --- My week ----------------------------------------------------------------------------------


def within_reach(day: dt.date | None) -> dt.date | None:
    if day is not None and abs(day - timezone.now().date()) > REACH:
        raise forms.ValidationError(_("Choose a date within five years of today."))
    return day


class WeekForm(forms.Form):
    week = forms.DateField(required=False, label=_("Week of"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_week(self) -> dt.date | None:
        return within_reach(self.cleaned_data["week"])


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _week_page(
    request: HttpRequest, specialist: Specialist, *, status: int = 200, error: str | None = None
) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    zone = specialist.timezone
    now = timezone.now()
    today = now.astimezone(zone).date()
    form = WeekForm(request.GET if "week" in request.GET else None, initial={"week": today})
    if not form.is_bound:
        monday = _monday(today)
    elif not form.is_valid():
        status, monday = INVALID, _monday(today)
    else:
        monday = _monday(form.cleaned_data["week"] or today)
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    start = dt.datetime.combine(monday, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    week_slots = selectors.slot_list_managed(user=user).filter(start__gte=start, start__lt=end)
    week_slots = week_slots.select_related("visit_type")
    by_day: dict[dt.date, list[Slot]] = {day: [] for day in days}
    for slot in week_slots:
        by_day[slot.start.astimezone(zone).date()].append(slot)

    today_start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    visits = list(
        selectors.booking_list(user=user, start_after=today_start - dt.timedelta(days=OUTCOME_DAYS))
        .filter(
            status__in=[Booking.Status.CONFIRMED, Booking.Status.COMPLETED, Booking.Status.NO_SHOW],
            slot__start__lt=today_start + dt.timedelta(days=UPCOMING_DAYS + 1),
        )
        .select_related("patient__user", "slot__visit_type")
        .order_by("slot__start", "pk")
    )
    # Earlier days show only the visits still waiting for an outcome.
    visits = [v for v in visits if v.slot.start >= today_start or v.status == Booking.Status.CONFIRMED]
    waiting = [v for v in visits if v.slot.start <= now and v.status == Booking.Status.CONFIRMED]
    bookings.booking_reasons_read(by=user, bookings=visits)
    context = {
        "form": form,
        "days": [(day, by_day[day]) for day in days],
        "today": today,
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": _monday(today),
        "monday": monday,
        "sunday": days[-1],
        "needs_outcome": waiting,
        "upcoming": [v for v in visits if v.slot.start >= today_start and v not in waiting],
        "error": error,
    }
    return render(request, "web/specialist/week.html", context, status=status)


@require_safe
@specialist_page
def week(request: HttpRequest, specialist: Specialist) -> HttpResponse:
    """A week of the specialist's own slots, and their visits from today on."""
    return _week_page(request, specialist)


def _visit_outcome(
    service: Callable[..., Booking], done: str | Promise
) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_POST
    @specialist_page
    def view(request: HttpRequest, specialist: Specialist, pk: int) -> HttpResponse:
        user = caller(request)  # type: ignore[arg-type]
        booking = get_object_or_404(selectors.booking_list(user=user).select_related("patient__user"), pk=pk)
        try:
            service(booking=booking, by=user)
        except Conflict as exc:
            return _week_page(request, specialist, status=CONFLICT, error=exc.detail)
        messages.success(request, str(done) % {"name": booking.patient.user.first_name})
        return redirect("web:week")

    return view


visit_complete = _visit_outcome(bookings.booking_complete, _("%(name)s's visit is marked completed."))
visit_no_show = _visit_outcome(bookings.booking_no_show, _("%(name)s's visit is marked a no-show."))


# --- Weekly hours -----------------------------------------------------------------------------


class VisitTypeField(forms.ModelChoiceField):
    """A visit type, named in the page's language (clinic.models.SHIPPED_NAMES)."""

    def label_from_instance(self, obj: VisitType) -> str:
        return gettext(obj.name)


class RuleForm(forms.Form):
    """The fields of a rule (`RuleIn` of the API); the service checks the rules of the clinic."""

    weekday = forms.TypedChoiceField(label=_("Day"), choices=WEEKDAYS, coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    visit_type = VisitTypeField(
        label=_("Visit type"), queryset=VisitType.objects.none(), empty_label=_("Choose a visit type")
    )
    valid_from = forms.DateField(
        label=_("Starting on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: from today."),
    )
    valid_until = forms.DateField(
        label=_("Ending on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: no end."),
    )

    def clean_valid_from(self) -> dt.date | None:
        return within_reach(self.cleaned_data["valid_from"])

    def clean_valid_until(self) -> dt.date | None:
        return within_reach(self.cleaned_data["valid_until"])

    def __init__(self, *args: Any, specialist: Specialist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["visit_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = specialist.visit_types.all()


def _open_slots(user: User) -> int:
    """The specialist's open slots from now to the horizon: the effect of a change is the
    difference."""
    now = timezone.now()
    return (
        selectors.slot_list_managed(user=user)
        .filter(status=Slot.Status.OPEN, start__gt=now, start__lt=horizon_end(now))
        .count()
    )


def _effect(request: HttpRequest, before: int, after: int, done: str) -> None:
    days = settings.BOOKING_HORIZON_DAYS
    change = after - before
    if change >= 0:
        effect = ngettext(
            "%(count)d slot added over the next %(days)d days.",
            "%(count)d slots added over the next %(days)d days.",
            change,
        )
    else:
        effect = ngettext(
            "%(count)d slot removed over the next %(days)d days.",
            "%(count)d slots removed over the next %(days)d days.",
            -change,
        )
    messages.success(request, f"{done} {effect % {'count': abs(change), 'days': days}}")


def _hours_page(
    request: HttpRequest, specialist: Specialist, form: RuleForm, *, status: int = 200
) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    days = dict(WEEKDAYS)
    rule_rows = [
        (rule, days[rule.weekday]) for rule in selectors.rule_list(user=user).select_related("visit_type")
    ]
    return render(request, "web/specialist/hours.html", {"form": form, "rules": rule_rows}, status=status)


@specialist_page
def hours(request: HttpRequest, specialist: Specialist) -> HttpResponse:
    """The weekly rules, and a form to add one."""
    if request.method == "POST":
        user = caller(request)  # type: ignore[arg-type]
        form = RuleForm(request.POST, specialist=specialist)
        if form.is_valid():
            before = _open_slots(user)
            try:
                rules.rule_create(specialist=specialist, by=user, **form.cleaned_data)
            except DomainError as exc:
                put_errors(form, exc)
            else:
                _effect(request, before, _open_slots(user), str(_("Hours added.")))
                return redirect("web:hours")
        return _hours_page(request, specialist, form, status=INVALID)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return _hours_page(request, specialist, RuleForm(specialist=specialist))


@specialist_page
def hours_edit(request: HttpRequest, specialist: Specialist, pk: int) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    rule = get_object_or_404(selectors.rule_list(user=user), pk=pk)
    if request.method == "POST":
        form = RuleForm(request.POST, specialist=specialist)
        if form.is_valid():
            before = _open_slots(user)
            try:
                rules.rule_update(rule=rule, changes=_rule_changes(form.cleaned_data, specialist), by=user)
            except DomainError as exc:
                put_errors(form, exc)
            else:
                _effect(request, before, _open_slots(user), str(_("Hours changed.")))
                return redirect("web:hours")
        status = INVALID
    elif request.method == "GET":
        form = RuleForm(initial=_rule_initial(rule), specialist=specialist)
        status = 200
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(request, "web/specialist/hours_edit.html", {"form": form, "rule": rule}, status=status)


def _rule_initial(rule: AvailabilityRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in rules.RULE_FIELDS}


def _rule_changes(cleaned: dict[str, Any], specialist: Specialist) -> dict[str, object]:
    changes = dict(cleaned)
    # An emptied start means today, as a new rule's does.
    changes["valid_from"] = changes["valid_from"] or timezone.now().astimezone(specialist.timezone).date()
    return changes


@require_POST
@specialist_page
def hours_delete(request: HttpRequest, specialist: Specialist, pk: int) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    rule = get_object_or_404(selectors.rule_list(user=user), pk=pk)
    before = _open_slots(user)
    rules.rule_delete(rule=rule, by=user)
    _effect(request, before, _open_slots(user), str(_("Hours removed.")))
    return redirect("web:hours")


# --- Time off ---------------------------------------------------------------------------------
