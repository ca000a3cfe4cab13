"""The Django admin changes schedules through the same services as the API: time off closes
slots and refuses, or cancels, the confirmed visits inside; rules are validated and regenerate
their slots; single slots are added and deleted as the API does. A refusal shows on the form,
never as a 500, and every change leaves its audit events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.utils import timezone

from clinic.models import User
from core.admin import Audited
from core.models import AuditEvent
from notifications.models import Notification
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff
from scheduling.services import bookings
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser(email="ops@clinic.example", password="x" * 12)
    client.force_login(user)
    return user


def when(moment: dt.datetime, name: str) -> dict[str, str]:
    """A datetime as the admin's split date and time inputs take it."""
    moment = timezone.localtime(moment)
    return {f"{name}_0": moment.strftime("%Y-%m-%d"), f"{name}_1": moment.strftime("%H:%M:%S")}


def booked(specialist) -> Booking:
    slot = SlotFactory(specialist=specialist, visit_type=specialist.visit_types.get(slug="consult"))
    return bookings.booking_create(user=PatientFactory().user, slot_id=slot.pk, reason="Aura").booking


def form_errors(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(e) for e in form.non_field_errors()) + str(form.errors)


# --- Time off ---------------------------------------------------------------------------------


def time_off_form(specialist, start, end, **extra):
    return {"specialist": specialist.pk, **when(start, "start"), **when(end, "end"), "reason": "", **extra}


def test_time_off_added_in_the_admin_closes_the_slots_it_touches(client, operator, specialist):
    slot = SlotFactory(specialist=specialist)

    response = client.post(
        "/admin/scheduling/timeoff/add/",
        time_off_form(specialist, slot.start, slot.start + dt.timedelta(minutes=1)),
    )

    assert response.status_code == 302
    off = TimeOff.objects.get()
    slot.refresh_from_db()
    assert (slot.status, slot.time_off) == (Slot.Status.BLOCKED, off)
    actions = list(
        AuditEvent.objects.filter(object_type="timeoff").order_by("id").values_list("actor", "action")
    )
    assert actions == [(operator.pk, "time_off.created"), (operator.pk, "admin.added")]


def test_time_off_over_a_confirmed_visit_is_refused_on_the_form(client, operator, specialist):
    booking = booked(specialist)

    response = client.post(
        "/admin/scheduling/timeoff/add/", time_off_form(specialist, booking.slot.start, booking.slot.end)
    )

    assert response.status_code == 200
    assert "Confirmed bookings fall in this time off" in form_errors(response)
    assert str(booking.pk) in form_errors(response)
    assert not TimeOff.objects.exists()
    booking.refresh_from_db()
    booking.slot.refresh_from_db()
    assert (booking.status, booking.slot.status) == (Booking.Status.CONFIRMED, Slot.Status.BOOKED)


def test_time_off_in_the_admin_cancels_the_visits_inside_on_request(client, operator, specialist):
    booking = booked(specialist)
    form = time_off_form(specialist, booking.slot.start, booking.slot.end, cancel_conflicting="on")

    response = client.post("/admin/scheduling/timeoff/add/", form)

    assert response.status_code == 302
    booking.refresh_from_db()
    booking.slot.refresh_from_db()
    assert (booking.status, booking.slot.status) == (Booking.Status.CANCELLED, Slot.Status.BLOCKED)
    assert Notification.objects.filter(booking=booking, kind=Notification.Kind.BOOKING_CANCELLED).exists()
    assert AuditEvent.objects.get(object_type="booking", action="booking.cancelled").actor == operator


def test_deleting_time_off_in_the_admin_reopens_its_slots(client, operator, specialist):
    slot = SlotFactory(specialist=specialist)
    client.post("/admin/scheduling/timeoff/add/", time_off_form(specialist, slot.start, slot.end))
    off = TimeOff.objects.get()

    response = client.post(f"/admin/scheduling/timeoff/{off.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not TimeOff.objects.exists()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.OPEN
    assert AuditEvent.objects.filter(object_id=off.pk, action="time_off.deleted", actor=operator).exists()


def test_time_off_cannot_be_edited_in_the_admin(client, operator, specialist):
    slot = SlotFactory(specialist=specialist)
    client.post("/admin/scheduling/timeoff/add/", time_off_form(specialist, slot.start, slot.end))
    off = TimeOff.objects.get()
    later = slot.end + dt.timedelta(days=1)

    response = client.post(
        f"/admin/scheduling/timeoff/{off.pk}/change/", time_off_form(specialist, later, later)
    )

    assert response.status_code == 403
    off.refresh_from_db()
    assert off.start == slot.start


# --- Rules ------------------------------------------------------------------------------------


def rule_form(specialist, **changes):
    consult = specialist.visit_types.get(slug="consult")
    return {
        "specialist": specialist.pk,
        "weekday": timezone.now().weekday(),
        "start_time": "09:00",
        "end_time": "12:00",
        "visit_type": consult.pk,
        "valid_from": timezone.localdate().isoformat(),
        "valid_until": "",
        **changes,
    }


def test_a_rule_added_in_the_admin_makes_its_slots(client, operator, specialist):
    response = client.post("/admin/scheduling/availabilityrule/add/", rule_form(specialist))

    assert response.status_code == 302
    rule = AvailabilityRule.objects.get()
    assert rule.slots.count() > 3
    assert AuditEvent.objects.filter(object_id=rule.pk, action="rule.created", actor=operator).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_time": "09:30"}, "shorter than one visit"),
        ({"valid_until": "2000-01-01"}, "ends before it starts"),
    ],
)
def test_a_rule_the_service_refuses_is_a_form_error(client, operator, specialist, changes, message):
    response = client.post("/admin/scheduling/availabilityrule/add/", rule_form(specialist, **changes))

    assert response.status_code == 200
    assert message in form_errors(response)
    assert not AvailabilityRule.objects.exists()
    assert not Slot.objects.exists()


def test_an_overlapping_rule_is_a_form_error(client, operator, specialist, add_rule):
    add_rule()

    response = client.post(
        "/admin/scheduling/availabilityrule/add/", rule_form(specialist, start_time="11:00")
    )

    assert response.status_code == 200
    assert "overlaps another rule" in form_errors(response)
    assert AvailabilityRule.objects.count() == 1


def test_a_rule_edited_in_the_admin_regenerates_its_slots(client, operator, specialist, add_rule):
    rule = add_rule()
    assert rule.slots.filter(start__gt=timezone.now()).count() > 0
    form = rule_form(specialist, end_time="10:00")
    del form["specialist"]

    response = client.post(f"/admin/scheduling/availabilityrule/{rule.pk}/change/", form)

    assert response.status_code == 302
    local = {s.start.astimezone(specialist.timezone).time() for s in rule.slots.all()}
    assert local == {dt.time(9)}
    event = AuditEvent.objects.get(object_id=rule.pk, action="rule.updated")
    assert (event.before["end_time"], event.after["end_time"]) == ("12:00:00", "10:00:00")


def test_a_rule_deleted_in_the_admin_removes_its_open_slots(client, operator, specialist, add_rule):
    rule = add_rule()

    response = client.post(f"/admin/scheduling/availabilityrule/{rule.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AvailabilityRule.objects.exists()
    assert not Slot.objects.filter(specialist=specialist, start__gt=timezone.now()).exists()


# --- Single slots -----------------------------------------------------------------------------


def slot_form(specialist, start):
    return {
        "specialist": specialist.pk,
        "visit_type": specialist.visit_types.get(slug="consult").pk,
        **when(start, "start"),
    }


def test_a_slot_added_in_the_admin_takes_its_end_from_the_visit_type(client, operator, specialist):
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

    response = client.post("/admin/scheduling/slot/add/", slot_form(specialist, start))

    assert response.status_code == 302
    slot = Slot.objects.get()
    assert (slot.start, slot.end, slot.status) == (start, start + dt.timedelta(hours=1), Slot.Status.OPEN)
    assert AuditEvent.objects.filter(object_id=slot.pk, action="slot.added", actor=operator).exists()


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (dt.timedelta(minutes=30), "overlaps another slot"),
        (-dt.timedelta(days=10), "must start in the future"),
    ],
)
def test_a_slot_the_service_refuses_is_a_form_error(client, operator, specialist, offset, message):
    taken = SlotFactory(specialist=specialist, visit_type=specialist.visit_types.get(slug="consult"))

    response = client.post("/admin/scheduling/slot/add/", slot_form(specialist, taken.start + offset))

    assert response.status_code == 200
    assert message in form_errors(response)
    assert Slot.objects.count() == 1


def test_a_booked_slot_cannot_be_deleted_in_the_admin(client, operator, specialist):
    booking = booked(specialist)

    page = client.get(f"/admin/scheduling/slot/{booking.slot_id}/delete/")
    response = client.post(f"/admin/scheduling/slot/{booking.slot_id}/delete/", {"post": "yes"})

    assert page.status_code == 200 and "cancel or move its visit first" in page.content.decode()
    assert response.status_code == 200
    assert Slot.objects.filter(pk=booking.slot_id, status=Slot.Status.BOOKED).exists()


def test_an_open_slot_deleted_in_the_admin_goes_through_the_service(client, operator, specialist):
    slot = SlotFactory(specialist=specialist)

    response = client.post(f"/admin/scheduling/slot/{slot.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Slot.objects.exists()
    assert AuditEvent.objects.filter(object_id=slot.pk, action="slot.deleted", actor=operator).exists()


def test_a_slot_cannot_be_edited_in_the_admin(client, operator, specialist):
    slot = SlotFactory(specialist=specialist)
    form = {**slot_form(specialist, slot.start), "status": "blocked"}

    assert client.post(f"/admin/scheduling/slot/{slot.pk}/change/", form).status_code == 403
    slot.refresh_from_db()
    assert slot.status == Slot.Status.OPEN


def test_the_bulk_delete_action_goes_through_the_service(client, operator, specialist):
    open_slot = SlotFactory(specialist=specialist)
    form = {"action": "delete_selected", "_selected_action": [open_slot.pk], "post": "yes"}

    response = client.post("/admin/scheduling/slot/", form)

    assert response.status_code == 302
    assert not Slot.objects.exists()
    assert AuditEvent.objects.filter(object_id=open_slot.pk, action="slot.deleted").exists()


# --- Every admin page audits --------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_admin",
    [
        m
        for m in admin.site._registry.values()
        if m.model._meta.app_label in ("clinic", "scheduling", "notifications")
    ],
    ids=lambda m: m.model._meta.label,
)
def test_every_admin_of_the_clinics_own_models_is_audited(model_admin):
    assert isinstance(model_admin, Audited)


def test_a_slot_of_a_cancelled_visit_deleted_in_the_admin_retires(client, operator, specialist):
    booking = booked(specialist)
    bookings.booking_cancel(booking=booking, by=booking.patient.user, reason="")

    response = client.post(f"/admin/scheduling/slot/{booking.slot_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.RETIRED
    assert Booking.objects.filter(pk=booking.pk).exists()


def test_the_admin_lists_waitlist_entries_and_offers_read_only(client, operator):
    from scheduling.models import Offer, WaitlistEntry
    from tests.factories import BookingFactory, WaitlistEntryFactory

    entry = WaitlistEntryFactory()
    booking = BookingFactory()
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    offer = Offer.objects.get(entry=entry)
    assert client.get("/admin/scheduling/waitlistentry/").status_code == 200
    listed = client.get("/admin/scheduling/offer/")
    assert listed.status_code == 200
    assert f"/admin/scheduling/offer/{offer.pk}/change/" in listed.content.decode()
    page = client.get(f"/admin/scheduling/offer/{offer.pk}/change/").content.decode()
    assert offer.nonce not in page  # with the secret key, the nonce is the link
    for model in (WaitlistEntry, Offer):
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, Audited)
        assert not model_admin.has_change_permission(None)
