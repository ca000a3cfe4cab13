"""The specialist's time off: take it and remove it. Time off over confirmed visits lists them
and offers to cancel them (the patients are told) or to change the time off, through
`scheduling.services.time_off` as the API does."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from clinic.access import caller
from clinic.models import Specialist
from core.errors import Conflict, DomainError
from scheduling import selectors
from scheduling.models import Booking
from scheduling.services import time_off

# A form the browser sent wrong answers 400 (a state that forbids it, 409), with the page again.
from web.specialist import CONFLICT, INVALID, REACH, put_errors, specialist_page


class TimeOffForm(forms.Form):
    """The fields of `TimeOffIn`, read in the specialist's zone (the view runs in it)."""

    start = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    end = forms.DateTimeField(
        label=_("Until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Note for yourself"),
        max_length=200,
        required=False,
        help_text=_("Optional; patients never see it."),
    )
    cancel_conflicting = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The visits the confirmation listed (ids, comma-separated): only those are cancelled.
    listed = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    # A one-time key written into the form when it is shown, as the booking page's: the same form
    # sent twice (a double click, back and send again) takes the time off once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_listed(self) -> list[int]:
        text = self.cleaned_data["listed"]
        if not all(part.isdigit() and len(part) < 12 for part in text.split(",") if part):
            # Above the form: a hidden field's error has no place beside it.
            self.add_error(None, _("This confirmation is not valid: start again."))
            return []
        return sorted(int(part) for part in text.split(",") if part)

    def clean_end(self) -> dt.datetime:
        end: dt.datetime = self.cleaned_data["end"]
        now = timezone.now()
        if end <= now:
            raise forms.ValidationError(_("This time is already past."))
        if end > now + REACH:
            raise forms.ValidationError(_("Choose a time within five years from now."))
        return end

    def clean_start(self) -> dt.datetime:
        start: dt.datetime = self.cleaned_data["start"]
        if start < timezone.now() - REACH:
            raise forms.ValidationError(_("Choose a time within five years from now."))
        return start


def _time_off_page(
    request: HttpRequest,
    form: TimeOffForm,
    *,
    conflicts: list[Booking] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    upcoming = selectors.time_off_list(user=user).filter(end__gt=timezone.now())
    context = {"form": form, "time_off": upcoming, "conflicts": conflicts or []}
    return render(request, "web/specialist/time_off.html", context, status=status)


@specialist_page
def time_off_page(request: HttpRequest, specialist: Specialist) -> HttpResponse:
    """Time off ahead, and a form to take more. When it falls on confirmed visits, the page lists
    them and offers to cancel them (the patients are told) or to change the time off."""
    if request.method == "GET":
        return _time_off_page(request, TimeOffForm(initial={"key": uuid.uuid4()}))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    user = caller(request)  # type: ignore[arg-type]
    form = TimeOffForm(request.POST)
    if not form.is_valid():
        return _time_off_page(request, form, status=INVALID)
    interval = {name: form.cleaned_data[name] for name in ("start", "end", "reason")}
    cancel = form.cleaned_data["cancel_conflicting"]
    try:
        # One call: the confirmation cancels exactly the visits it listed (`expected`), and a
        # visit booked while the specialist read the list is shown, not cancelled.
        result = time_off.time_off_create(
            specialist=specialist,
            by=user,
            cancel_conflicting=cancel,
            expected=form.cleaned_data["listed"] if cancel else None,
            idempotency_key=str(form.cleaned_data["key"]),
            **interval,
        )
    except Conflict as exc:
        if exc.code == "idempotency_key_reused":
            # This form already took time off, and was changed and sent again: that one stands.
            messages.warning(request, _("This form was already sent: the time off it added is below."))
            return redirect("web:time_off")
        if exc.code != "conflicting_bookings":
            put_errors(form, exc)
            return _time_off_page(request, form, status=INVALID)
        return _time_off_conflict(request, form, sorted(exc.extra.get("bookings", [])), changed=cancel)
    except DomainError as exc:
        put_errors(form, exc)
        return _time_off_page(request, form, status=INVALID)
    if result.replayed:
        messages.info(request, _("This form was already sent: the time off is added once, below."))
    elif cancel:
        messages.success(request, _("Time off added. The visits listed are cancelled and the patients told."))
    else:
        messages.success(request, _("Time off added."))
    return redirect("web:time_off")


def _time_off_conflict(
    request: HttpRequest, form: TimeOffForm, found: list[int], *, changed: bool
) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    conflicts = list(
        selectors.booking_list(user=user)
        .filter(pk__in=found)
        .select_related("patient__user")
        .order_by("slot__start")
    )
    # The confirmation posts the same time off again, with the visits it cancels.
    interval = {name: form.cleaned_data[name] for name in ("start", "end", "reason")}
    # The refused request stored nothing under its key: the confirmation carries it on, so a
    # double click on "cancel these visits" cancels and takes the time off once.
    confirm = TimeOffForm(
        initial={
            **interval,
            "cancel_conflicting": True,
            "listed": ",".join(map(str, found)),
            "key": form.cleaned_data["key"],
        }
    )
    context = {
        # "Change the time off" starts from the same times, as a new request (it cancels nothing).
        "form": TimeOffForm(initial={**interval, "key": uuid.uuid4()}),
        "confirm": confirm,
        "conflicts": conflicts,
        "changed": changed,
        **interval,
    }
    return render(request, "web/specialist/time_off_conflict.html", context, status=CONFLICT)


@require_POST
@specialist_page
def time_off_delete(request: HttpRequest, specialist: Specialist, pk: int) -> HttpResponse:
    user = caller(request)  # type: ignore[arg-type]
    off = get_object_or_404(selectors.time_off_list(user=user), pk=pk)
    time_off.time_off_delete(time_off=off, by=user)
    messages.success(request, _("Time off removed; its slots are open again."))
    return redirect("web:time_off")
