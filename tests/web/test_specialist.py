"""The specialist's workspace through Django's test client: their week, weekly hours and time
off, through the API's services; errors beside their fields; someone else's schedule answering
404; every malformed request answering 4xx."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.models import AuditEvent
from notifications.models import Notification
from scheduling.models import AvailabilityRule, Booking, Slot, TimeOff
from tests.factories import BookingFactory, PatientFactory, RuleFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NEXT_YEAR = dt.date.today().year + 1


@pytest.fixture
def doctor(client):
    specialist = SpecialistFactory()
    client.force_login(specialist.user)
    return specialist


def _visit_type(specialist):
    return specialist.visit_types.order_by("duration_minutes").last()  # the 60-minute consult


def _next_monday() -> dt.date:
    today = timezone.now().astimezone(NY).date()
    return today + dt.timedelta(days=7 - today.weekday())


def _rule_post(specialist, **overrides):
    data = {
        "weekday": "0",
        "start_time": "09:00",
        "end_time": "12:00",
        "visit_type": str(_visit_type(specialist).pk),
        "valid_from": "",
        "valid_until": "",
    }
    return {**data, **overrides}


def _booked(specialist, start, **fields):
    slot = SlotFactory(
        specialist=specialist, visit_type=_visit_type(specialist), start=start, status=Slot.Status.BOOKED
    )
    return BookingFactory(slot=slot, **fields)


# --- Who may see the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/week/", "/hours/", "/time-off/"])
def test_signed_out_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", ["/week/", "/hours/", "/time-off/"])
def test_a_patient_finds_no_specialist_page(client, path):
    client.force_login(PatientFactory().user)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/week/", "/hours/", "/time-off/"])
def test_the_pages_answer_a_specialist_in_their_zone(client, doctor, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "America/New_York" in response.content.decode()


# --- My week ----------------------------------------------------------------------------------


def test_the_week_shows_own_slots_by_status_and_not_another_specialists(client, doctor):
    monday = _next_monday()
    nine = dt.datetime.combine(monday, dt.time(9), tzinfo=NY)
    SlotFactory(specialist=doctor, visit_type=_visit_type(doctor), start=nine)
    _booked(doctor, nine + dt.timedelta(hours=2))
    SlotFactory(start=nine + dt.timedelta(hours=4))  # someone else's
    page = client.get("/week/", {"week": monday.isoformat()}).content.decode()
    assert "9:00 AM EST" in page and "11:00 AM EST" in page
    assert "1:00 PM EST" not in page
    assert ">Open<" in page and ">Booked<" in page


def test_a_week_given_mid_week_starts_on_its_monday(client, doctor):
    monday = _next_monday()
    response = client.get("/week/", {"week": (monday + dt.timedelta(days=3)).isoformat()})
    assert response.context["monday"] == monday


def test_a_malformed_week_answers_400_with_the_error_beside_the_field(client, doctor):
    response = client.get("/week/", {"week": "next tuesday"})
    assert response.status_code == 400
    assert response.context["form"].errors["week"]


def test_upcoming_visits_show_first_name_and_reason_and_the_read_is_audited(client, doctor):
    booking = _booked(doctor, timezone.now() + dt.timedelta(days=1), reason="Tingling in both hands")
    other = _booked(SpecialistFactory(), timezone.now() + dt.timedelta(days=1), reason="Not yours")
    page = client.get("/week/").content.decode()
    assert booking.patient.user.first_name in page and "Tingling in both hands" in page
    assert "Not yours" not in page
    event = AuditEvent.objects.get(action="booking.reason_read")
    assert event.after == {"bookings": [booking.pk]} and other.pk not in event.after["bookings"]


def test_a_started_visit_can_be_marked_completed(client, doctor):
    booking = _booked(doctor, timezone.now() - dt.timedelta(minutes=10))
    assert "Mark" in client.get("/week/").content.decode()
    response = client.post(f"/week/visits/{booking.pk}/completed/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED


def test_a_started_visit_can_be_marked_a_no_show(client, doctor):
    booking = _booked(doctor, timezone.now() - dt.timedelta(minutes=10))
    assert client.post(f"/week/visits/{booking.pk}/no-show/").status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


def test_a_visit_not_started_cannot_be_marked_and_the_page_says_why(client, doctor):
    booking = _booked(doctor, timezone.now() + dt.timedelta(hours=2))
    response = client.post(f"/week/visits/{booking.pk}/completed/")
    assert response.status_code == 409
    assert "not started" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_another_specialists_visit_answers_404(client, doctor):
    booking = _booked(SpecialistFactory(), timezone.now() - dt.timedelta(minutes=10))
    assert client.post(f"/week/visits/{booking.pk}/completed/").status_code == 404


def test_marking_a_visit_needs_a_post(client, doctor):
    booking = _booked(doctor, timezone.now() - dt.timedelta(minutes=10))
    assert client.get(f"/week/visits/{booking.pk}/completed/").status_code == 405


# --- Weekly hours -----------------------------------------------------------------------------


def test_adding_hours_makes_slots_and_says_how_many(client, doctor):
    response = client.post("/hours/", _rule_post(doctor), follow=True)
    rule = AvailabilityRule.objects.get(specialist=doctor)
    made = Slot.objects.filter(rule=rule, status=Slot.Status.OPEN).count()
    assert made > 0
    assert f"{made} slots added over the next 60 days" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("end_time", "08:00", "end_time"),  # before the start: the service's rule
        ("end_time", "09:30", "end_time"),  # shorter than one 60-minute visit
        ("valid_until", "2000-01-01", "valid_until"),  # ends before it starts
        ("weekday", "9", "weekday"),
        ("start_time", "25:99", "start_time"),
        ("visit_type", "999999", "visit_type"),
        ("valid_from", "soon", "valid_from"),
    ],
)
def test_bad_hours_answer_400_with_the_error_beside_the_field(client, doctor, field, value, error_field):
    response = client.post("/hours/", _rule_post(doctor, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[error_field]
    assert not AvailabilityRule.objects.exists()


def test_overlapping_hours_are_refused_beside_the_start(client, doctor):
    RuleFactory(specialist=doctor, visit_type=_visit_type(doctor))
    response = client.post("/hours/", _rule_post(doctor, start_time="10:00", end_time="13:00"))
    assert response.status_code == 400
    assert response.context["form"].errors["start_time"]


def test_a_visit_type_the_specialist_does_not_offer_is_not_a_choice(client, doctor):
    other_type = SpecialistFactory(offers=[]).visit_types.model.objects.create(
        slug="eeg", name="EEG review", duration_minutes=45
    )
    response = client.post("/hours/", _rule_post(doctor, visit_type=str(other_type.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["visit_type"]


def test_an_empty_post_answers_400_with_every_required_field(client, doctor):
    response = client.post("/hours/", {})
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"weekday", "start_time", "end_time", "visit_type"}


def test_editing_hours_regenerates_slots_and_says_so(client, doctor):
    client.post("/hours/", _rule_post(doctor))
    rule = AvailabilityRule.objects.get(specialist=doctor)
    assert client.get(f"/hours/{rule.pk}/").status_code == 200
    response = client.post(f"/hours/{rule.pk}/", _rule_post(doctor, end_time="10:00"), follow=True)
    rule.refresh_from_db()
    assert rule.end_time == dt.time(10)
    assert "slots removed over the next 60 days" in response.content.decode()
    assert not Slot.objects.filter(rule=rule, status=Slot.Status.OPEN, start__time__gte=dt.time(15)).exists()


def test_a_bad_edit_answers_400_and_changes_nothing(client, doctor):
    rule = RuleFactory(specialist=doctor, visit_type=_visit_type(doctor))
    response = client.post(f"/hours/{rule.pk}/", _rule_post(doctor, end_time="08:00"))
    assert response.status_code == 400
    assert response.context["form"].errors["end_time"]
    rule.refresh_from_db()
    assert rule.end_time == dt.time(12)


def test_removing_hours_removes_their_open_slots(client, doctor):
    client.post("/hours/", _rule_post(doctor))
    rule = AvailabilityRule.objects.get(specialist=doctor)
    response = client.post(f"/hours/{rule.pk}/delete/", follow=True)
    assert not AvailabilityRule.objects.exists()
    assert not Slot.objects.filter(specialist=doctor, status=Slot.Status.OPEN).exists()
    assert "slots removed" in response.content.decode()


@pytest.mark.parametrize("suffix", ["", "delete/"])
def test_another_specialists_rule_answers_404(client, doctor, suffix):
    rule = RuleFactory()
    assert client.get(f"/hours/{rule.pk}/").status_code == 404
    assert client.post(f"/hours/{rule.pk}/{suffix}", _rule_post(doctor)).status_code == 404
    assert AvailabilityRule.objects.filter(pk=rule.pk).exists()


def test_removing_hours_needs_a_post(client, doctor):
    rule = RuleFactory(specialist=doctor, visit_type=_visit_type(doctor))
    assert client.get(f"/hours/{rule.pk}/delete/").status_code == 405


# --- Time off ---------------------------------------------------------------------------------


def _keyed(data: dict[str, str]) -> dict[str, str]:
    """The form as the page shows it: with its one-time key."""
    return {**data, "key": str(uuid.uuid4())}


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(NY).strftime("%Y-%m-%dT%H:%M")


def test_time_off_is_read_in_the_specialists_zone_and_blocks_slots(client, doctor):
    monday = _next_monday()
    slot = SlotFactory(
        specialist=doctor,
        visit_type=_visit_type(doctor),
        start=dt.datetime.combine(monday, dt.time(9), tzinfo=NY),
    )
    response = client.post(
        "/time-off/", _keyed({"start": f"{monday}T08:00", "end": f"{monday}T17:00"}), follow=True
    )
    off = TimeOff.objects.get(specialist=doctor)
    assert off.start == dt.datetime.combine(monday, dt.time(8), tzinfo=NY)
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BLOCKED
    assert "Time off added." in response.content.decode()


def test_time_off_over_a_booked_visit_lists_it_and_saves_nothing(client, doctor):
    start = timezone.now() + dt.timedelta(days=2)
    booking = _booked(doctor, start.replace(minute=0, second=0, microsecond=0))
    data = {"start": _local(start - dt.timedelta(hours=3)), "end": _local(start + dt.timedelta(hours=3))}
    response = client.post("/time-off/", _keyed(data))
    assert response.status_code == 409
    page = response.content.decode()
    assert booking.patient.user.first_name in page and "Cancel the visit and take the time off" in page
    assert "Or change the time off" in page
    assert not TimeOff.objects.exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_confirming_cancels_the_visits_and_tells_the_patients(client, doctor):
    start = timezone.now() + dt.timedelta(days=2)
    booking = _booked(doctor, start.replace(minute=0, second=0, microsecond=0))
    data = {"start": _local(start - dt.timedelta(hours=3)), "end": _local(start + dt.timedelta(hours=3))}
    conflict = client.post("/time-off/", _keyed(data))
    posted = _hidden(conflict.content.decode())
    assert posted["cancel_conflicting"] == "True"
    response = client.post("/time-off/", posted, follow=True)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert TimeOff.objects.filter(specialist=doctor).exists()
    assert Notification.objects.filter(booking=booking, kind=Notification.Kind.BOOKING_CANCELLED).exists()
    assert "patients told" in response.content.decode()


def test_the_same_time_off_form_sent_twice_takes_the_time_off_once(client, doctor):
    monday = _next_monday()
    data = _keyed({"start": f"{monday}T08:00", "end": f"{monday}T17:00"})
    first = client.post("/time-off/", data)
    again = client.post("/time-off/", data, follow=True)
    assert first.status_code == 302 and again.redirect_chain == [("/time-off/", 302)]
    assert TimeOff.objects.filter(specialist=doctor).count() == 1
    assert "This form was already sent" in again.content.decode()


def test_the_same_time_off_form_sent_again_with_other_times_keeps_the_first(client, doctor):
    monday = _next_monday()
    data = _keyed({"start": f"{monday}T08:00", "end": f"{monday}T12:00"})
    client.post("/time-off/", data)
    again = client.post("/time-off/", {**data, "end": f"{monday}T17:00"}, follow=True)
    off = TimeOff.objects.get(specialist=doctor)
    assert off.end == dt.datetime.combine(monday, dt.time(12), tzinfo=NY)
    assert "This form was already sent" in again.content.decode()


def test_confirming_twice_cancels_and_takes_the_time_off_once(client, doctor):
    start = timezone.now() + dt.timedelta(days=2)
    _booked(doctor, start.replace(minute=0, second=0, microsecond=0))
    data = {"start": _local(start - dt.timedelta(hours=3)), "end": _local(start + dt.timedelta(hours=3))}
    posted = _hidden(client.post("/time-off/", _keyed(data)).content.decode())
    client.post("/time-off/", posted)
    again = client.post("/time-off/", posted, follow=True)
    assert TimeOff.objects.filter(specialist=doctor).count() == 1
    assert "This form was already sent" in again.content.decode()


def test_the_time_off_page_writes_a_new_key_into_each_form(client, doctor):
    keys = [client.get("/time-off/").context["form"].initial["key"] for _ in range(2)]
    assert keys[0] != keys[1]


def _hidden(page: str) -> dict[str, str]:
    """What the confirmation's form posts, as the browser sends it."""
    form = page.split('id="cancel-heading"')[1].split("</form>")[0]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"start": f"{NEXT_YEAR}-01-15T10:00", "end": f"{NEXT_YEAR}-01-15T09:00"}, "end"),
        ({"start": "yesterday", "end": f"{NEXT_YEAR}-01-15T09:00"}, "start"),
        ({"start": f"{NEXT_YEAR}-01-15T10:00"}, "end"),
        (
            {"start": f"{NEXT_YEAR}-01-15T10:00", "end": f"{NEXT_YEAR}-01-15T11:00", "reason": "x" * 201},
            "reason",
        ),
    ],
)
def test_bad_time_off_answers_400_with_the_error_beside_the_field(client, doctor, data, field):
    response = client.post("/time-off/", _keyed(data))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not TimeOff.objects.exists()


def test_a_time_that_does_not_exist_in_the_zone_is_an_error_not_a_crash(client, doctor):
    # 2:30 AM on the day clocks spring forward in New York never happens.
    response = client.post("/time-off/", _keyed({"start": "2027-03-14T02:30", "end": "2027-03-14T05:00"}))
    assert response.status_code == 400
    assert response.context["form"].errors["start"]


def test_removing_time_off_reopens_its_slots(client, doctor):
    monday = _next_monday()
    slot = SlotFactory(
        specialist=doctor,
        visit_type=_visit_type(doctor),
        start=dt.datetime.combine(monday, dt.time(9), tzinfo=NY),
    )
    client.post("/time-off/", _keyed({"start": f"{monday}T08:00", "end": f"{monday}T17:00"}))
    off = TimeOff.objects.get()
    assert client.post(f"/time-off/{off.pk}/delete/").status_code == 302
    slot.refresh_from_db()
    assert slot.status == Slot.Status.OPEN and not TimeOff.objects.exists()


def test_another_specialists_time_off_answers_404(client, doctor):
    now = timezone.now()
    off = TimeOff.objects.create(specialist=SpecialistFactory(), start=now, end=now + dt.timedelta(hours=1))
    assert client.post(f"/time-off/{off.pk}/delete/").status_code == 404
    assert TimeOff.objects.filter(pk=off.pk).exists()


def test_the_pages_refuse_other_methods(client, doctor):
    assert client.put("/hours/").status_code == 405
    assert client.delete("/time-off/").status_code == 405
    assert client.post("/week/").status_code == 405


def test_the_week_page_is_quick_in_queries(client, doctor, django_assert_max_num_queries):
    with time_machine.travel(timezone.now(), tick=False):
        for hours in range(1, 6):
            _booked(doctor, timezone.now() + dt.timedelta(hours=hours * 3))
    with django_assert_max_num_queries(12):
        assert client.get("/week/").status_code == 200


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_a_week_out_of_range_answers_400_not_a_crash(client, doctor, week):
    response = client.get("/week/", {"week": week})
    assert response.status_code == 400
    assert response.context["form"].errors["week"]


@pytest.mark.parametrize(
    "data",
    [
        {"start": "9999-12-31T22:00", "end": "9999-12-31T23:59"},
        {"start": "0001-01-01T00:00", "end": "0001-01-01T05:00"},
    ],
)
def test_time_off_out_of_range_answers_400_not_a_crash(client, doctor, data):
    response = client.post("/time-off/", _keyed(data))
    assert response.status_code == 400
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("valid_from", "0001-01-01"), ("valid_until", "9999-12-31")])
def test_hours_out_of_range_answer_400_beside_the_field(client, doctor, field, value):
    response = client.post("/hours/", _rule_post(doctor, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[field]


@pytest.mark.parametrize("path", ["/hours/99999999999999999999/", "/time-off/99999999999999999999/delete/"])
def test_an_id_out_of_range_answers_404(client, doctor, path):
    assert client.post(path).status_code == 404


def test_a_visit_booked_while_deciding_is_shown_not_cancelled(client, doctor):
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    first = _booked(doctor, start)
    data = {"start": _local(start - dt.timedelta(hours=3)), "end": _local(start + dt.timedelta(hours=3))}
    posted = _hidden(client.post("/time-off/", _keyed(data)).content.decode())
    second = _booked(doctor, start + dt.timedelta(hours=1))  # booked meanwhile
    response = client.post("/time-off/", posted)
    assert response.status_code == 409
    assert "changed while you were deciding" in response.content.decode()
    assert not TimeOff.objects.exists()
    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED
    # The new confirmation lists both, and cancels both.
    client.post("/time-off/", _hidden(response.content.decode()))
    assert set(Booking.objects.values_list("status", flat=True)) == {Booking.Status.CANCELLED}


def test_a_forged_confirmation_answers_400(client, doctor):
    start = timezone.now() + dt.timedelta(days=2)
    data = {"start": _local(start), "end": _local(start + dt.timedelta(hours=1))}
    response = client.post("/time-off/", _keyed({**data, "cancel_conflicting": "True", "listed": "1,x"}))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_the_change_form_on_the_conflict_page_cancels_nothing(client, doctor):
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    _booked(doctor, start)
    data = {"start": _local(start - dt.timedelta(hours=3)), "end": _local(start + dt.timedelta(hours=3))}
    page = client.post("/time-off/", _keyed(data)).content.decode()
    change = page.split('id="change-heading"')[1].split("</form>")[0]
    assert 'name="cancel_conflicting"' in change and 'value="True"' not in change


def test_the_week_shows_who_said_they_will_attend(client, doctor):
    start = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    _booked(doctor, start, attendance_confirmed_at=timezone.now())

    assert "Said they will attend" in client.get("/week/").content.decode()


def test_a_specialist_sets_their_alerts(client, doctor):
    response = client.post("/alerts/", {"email_alerts": "", "sms_alerts": "on", "phone": "+13125550142"})

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert (doctor.email_alerts, doctor.sms_alerts, str(doctor.phone)) == (False, True, "+13125550142")


def test_text_alerts_without_a_phone_answer_400_beside_the_phone(client, doctor):
    response = client.post("/alerts/", {"email_alerts": "on", "sms_alerts": "on", "phone": ""})

    assert response.status_code == 400
    assert "Text alerts need a mobile phone." in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.sms_alerts is False


def test_an_alerts_phone_is_refused_as_the_api_refuses_it(client, doctor):
    response = client.post("/alerts/", {"email_alerts": "on", "phone": "+1 555"})

    assert response.status_code == 400
    assert response.context["form"].errors["phone"] == ["Enter a valid phone number."]


def test_a_specialist_takes_their_phone_away_with_the_text_alerts(client, doctor):
    doctor.phone, doctor.sms_alerts = "+13125550142", True
    doctor.save()

    response = client.post("/alerts/", {"email_alerts": "on", "sms_alerts": "", "phone": ""})

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert (doctor.email_alerts, doctor.sms_alerts, str(doctor.phone)) == (True, False, "")


def test_the_alerts_page_is_the_specialists(client, patient):
    client.force_login(patient.user)

    assert client.get("/alerts/").status_code == 404
