"""The waitlist's pages: a patient joins (from the find page, when nothing suits), sees and leaves
their entries; and the offer page `/o/<token>`, what the link in an offer's message opens.

Thin views over `scheduling.services.waitlist`, `scheduling.services.offers` and
`scheduling.offers`, as the API's: the rules live there. The offer page, like the visit page, opens to whoever holds the link (the token is
the credential), signed in or not; times are in the offer's patient's zone, named.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from localflavor.us.us_states import US_STATES

from clinic.models import Patient, Specialty, VisitType
from core.errors import DomainError, NotFound
from scheduling import offers, selectors
from scheduling.models import Offer, WaitlistEntry
from scheduling.services import waitlist
from scheduling.services.offers import offer_claim, offer_decline
from web.accounts import INVALID
from web.patient import errors_from, patient_required, set_choices, signed_in_patient


class JoinForm(forms.Form):
    specialty = forms.ChoiceField(label=_("Condition"))
    state = forms.ChoiceField(
        label=_("State you are in"),
        choices=US_STATES,
        help_text=_("Specialists must be licensed in the state where you are during the visit."),
    )
    visit_type = forms.TypedChoiceField(label=_("Visit type"), coerce=int, required=False, empty_value=None)
    earliest = forms.DateField(
        label=_("From (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    latest = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave the dates empty if any day suits you."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "specialty", [(s.slug, s.name) for s in Specialty.objects.order_by("name")])
        kinds = VisitType.objects.order_by("-new_patient", "name")
        set_choices(self, "visit_type", [("", _("Any visit type")), *((v.pk, v.name) for v in kinds)])


def _join(patient: Patient, form: JoinForm) -> WaitlistEntry | None:
    data = form.cleaned_data
    try:
        return waitlist.waitlist_join(
            patient=patient,
            specialty=Specialty.objects.get(slug=data["specialty"]),
            state=data["state"],
            visit_type=VisitType.objects.filter(pk=data["visit_type"]).first()
            if data["visit_type"]
            else None,
            earliest=data["earliest"],
            latest=data["latest"],
            by=patient.user,
        )
    except DomainError as exc:
        errors_from(form, exc)
        return None


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    """`/waitlist/`: the patient's entries, and the form to join (filled in from the find page's
    search, when it comes from there)."""
    patient = signed_in_patient(request)
    assert patient is not None
    status = 200
    if request.method == "POST":
        form = JoinForm(request.POST)
        if form.is_valid() and _join(patient, form) is not None:
            messages.success(
                request,
                _("You are on the waitlist: we will text and email you when a sooner visit frees up."),
            )
            return redirect("web:waitlist")
        status = INVALID
    else:
        initial = {
            "state": patient.state,
            **{k: v for k, v in request.GET.items() if k in JoinForm.base_fields},
        }
        form = JoinForm(initial=initial)
    entries = selectors.waitlist_list(user=patient.user).select_related("visit_type", "specialist__user")
    active = [e for e in entries if e.status in waitlist.ACTIVE]
    # A slot held for an entry: its offer page, so the patient need not find the message.
    held = Offer.objects.filter(entry__in=active, status=Offer.Status.OPEN)
    links = {offer.entry_id: offers.offer_token(offer) for offer in held}
    context = {
        "form": form,
        "active": [(entry, links.get(entry.pk)) for entry in active],
        "closed": [e for e in entries if e.status not in waitlist.ACTIVE][:20],
    }
    return render(request, "web/patient/waitlist.html", context, status=status)


@patient_required
@require_POST
def waitlist_leave(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_patient(request)
    assert user is not None
    entry = get_object_or_404(selectors.waitlist_list(user=user.user), pk=pk)
    waitlist.waitlist_leave(entry=entry, by=user.user)
    messages.success(request, _("You left this waitlist."))
    return redirect("web:waitlist")


# --- The offer page ---------------------------------------------------------------------------


class ClaimForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the visit (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only you, your specialist and the clinic's staff see it; it is never in a message."),
    )


def _offer_context(offer: Offer, **extra: Any) -> dict[str, Any]:
    zone = ZoneInfo(str(offer.patient.timezone))
    remaining = max(0, int((offer.expires_at - timezone.now()).total_seconds() // 60))
    # The link is the patient's, signed in or not: their zone, which the footer names too.
    context = {"offer": offer, "slot": offer.slot, "zone": zone, "viewer_tz": zone, "minutes_left": remaining}
    return {**context, **extra}


# The page opens to whoever holds the link: no browser or proxy keeps a copy.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def offer_page(request: HttpRequest, token: str) -> HttpResponse:
    """`/o/<token>`: the held slot, "Book it" and "No thanks"; a closed offer answers 410 and
    says why plainly."""
    try:
        offer = offers.offer_get_by_token(token)
    except NotFound:
        return render(request, "web/patient/offer_not_found.html", status=404)
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "decline":
            return _decline(request, offer, token)
        if form.is_valid():
            return _claim(request, offer, token, form)
        status = INVALID
    state = offers.offer_state(offer)
    context = _offer_context(offer, form=form, state=state.value)
    return render(request, "web/patient/offer.html", context, status=410 if state.closed else status)


def _claim(request: HttpRequest, offer: Offer, token: str, form: ClaimForm) -> HttpResponse:
    try:
        booking = offer_claim(token=token, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        offer.refresh_from_db()
        state = offers.offer_state(offer)
        if not state.closed:  # a policy refused it (the cap, say): said beside the form
            errors_from(form, exc)
        context = _offer_context(offer, form=form, state=state.value)
        return render(request, "web/patient/offer.html", context, status=exc.status)
    if request.user.is_authenticated and request.user.pk == offer.patient_id:
        messages.success(request, _("Your visit is booked."))
        return redirect("web:visit", pk=booking.pk)
    return render(request, "web/patient/offer.html", _offer_context(offer, state="booked", booking=booking))


def _decline(request: HttpRequest, offer: Offer, token: str) -> HttpResponse:
    try:
        offer_decline(token=token)
    except DomainError as exc:
        offer.refresh_from_db()
        context = _offer_context(offer, form=ClaimForm(), state=offers.offer_state(offer).value)
        return render(request, "web/patient/offer.html", context, status=exc.status)
    return render(request, "web/patient/offer.html", _offer_context(offer, state="no_thanks"))
