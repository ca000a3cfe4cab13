"""The patient's pages through Django's test client: find, a specialist's week, booking (its
refusals and its guard against a double submission), my visits (cancel, reschedule, the .ics),
the profile; others' bookings answering 404 and malformed requests 4xx."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import User
from core.models import AuditEvent
from notifications.models import SmsOptOut
from scheduling.models import Booking, Slot
from scheduling.services import bookings
from tests.factories import BookingFactory, FollowUpFactory, PatientFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


def _at(days: float, hour: int = 15) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def patient_web(patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


@pytest.fixture
def doctor(db):
    return SpecialistFactory(user__first_name="Oliver", user__last_name="Sacks")


def _book(client: Client, slot: Slot, reason: str = "Back pain", key: str | None = None):
    return client.post(f"/book/{slot.pk}/", {"reason": reason, "key": key or str(uuid.uuid4())})


def test_find_lists_the_earliest_visit_of_each_specialist_soonest_first(client, doctor):
    other = SpecialistFactory(user__first_name="Rita", user__last_name="Levi")
    SlotFactory(specialist=doctor, start=_at(5))
    SlotFactory(specialist=doctor, start=_at(3))
    SlotFactory(specialist=other, start=_at(2))
    SpecialistFactory(user__last_name="Elsewhere", states=["CA"])
    response = client.get("/find/", {"specialty": "chronic-pain", "state": "NY"})
    assert response.status_code == 200
    found = [(r["specialist"].user.last_name, r["slot"].start) for r in response.context["results"]]
    assert found == [("Levi", _at(2)), ("Sacks", _at(3))]
    assert b"Oliver Sacks" in response.content


def test_find_prefills_the_patients_state(patient_web, patient):
    patient.state = "CA"
    patient.save()
    assert patient_web.get("/find/").context["form"].initial["state"] == "CA"


@pytest.mark.parametrize(
    "query",
    [
        {"specialty": "nope", "state": "NY"},
        {"specialty": "chronic-pain", "state": "ZZ"},
        {"specialty": "chronic-pain\x00", "state": "NY"},
        {"specialty": ""},
    ],
)
def test_a_malformed_search_answers_400_with_the_form(client, query):
    response = client.get("/find/", query)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_the_specialists_page_shows_one_week_of_free_slots(client, doctor):
    SlotFactory(specialist=doctor, start=_at(1))
    later = SlotFactory(specialist=doctor, start=_at(9))
    response = client.get(f"/specialists/{doctor.pk}/", {"week": 1, "state": "NY"})
    assert response.status_code == 200
    shown = [slot.id for _day, slots in response.context["days"] for slot in slots]
    assert shown == [later.pk]


@pytest.mark.parametrize("query", [{"week": "x"}, {"week": "-1"}, {"week": "99"}, {"visit_type": "abc"}])
def test_a_malformed_week_answers_400(client, doctor, query):
    assert client.get(f"/specialists/{doctor.pk}/", query).status_code == 400


def test_an_unknown_specialist_answers_404(client):
    assert client.get("/specialists/999999/").status_code == 404


def test_booking_needs_a_signed_in_patient(client, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    response = client.get(f"/book/{slot.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(User.objects.get(pk=doctor.user.pk))
    assert client.get(f"/book/{slot.pk}/").status_code == 403


def test_booking_confirms_and_shows_the_time_join_link_and_calendar(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    response = _book(patient_web, slot)
    booking = Booking.objects.get(slot=slot)
    assert response.status_code == 302 and response["Location"] == f"/visits/{booking.pk}/"
    page = patient_web.get(response["Location"])
    assert page.status_code == 200
    assert page.context["join_url"] and page.context["join_url"].encode() in page.content
    assert f"/visits/{booking.pk}/calendar.ics".encode() in page.content
    assert b"By text message (SMS)" in page.content
    ics = patient_web.get(f"/visits/{booking.pk}/calendar.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert b"Back pain" not in ics.content


def test_a_double_submission_makes_one_booking(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    key = str(uuid.uuid4())
    first = _book(patient_web, slot, key=key)
    second = _book(patient_web, slot, key=key)
    assert Booking.objects.filter(slot=slot).count() == 1
    assert first["Location"] == second["Location"]


def test_a_slot_taken_meanwhile_says_so_and_offers_the_next_free_slots(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    nearby = SlotFactory(specialist=doctor, start=_at(4))
    bookings.booking_create(user=PatientFactory().user, slot_id=slot.pk)
    response = _book(patient_web, slot)
    assert response.status_code == 409
    assert "no longer available" in response.context["refusal"]
    assert [s.id for s in response.context["alternatives"]] == [nearby.pk]
    assert Booking.objects.filter(slot=slot).count() == 1


def test_a_policy_refusal_is_shown_beside_the_form(patient_web, doctor, settings):
    settings.MAX_ACTIVE_BOOKINGS = 0
    slot = SlotFactory(specialist=doctor, start=_at(3))
    response = _book(patient_web, slot)
    assert response.status_code == 400
    assert "upcoming visits at a time" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "x", "key": "not-a-uuid"},
        {"reason": "x" * 2001, "key": str(uuid.uuid4())},
        {"reason": "nul\x00", "key": str(uuid.uuid4())},
    ],
)
def test_a_malformed_booking_answers_400(patient_web, doctor, body):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    assert patient_web.post(f"/book/{slot.pk}/", body).status_code == 400
    assert not Booking.objects.exists()


def test_booking_an_unknown_slot_answers_404(patient_web):
    assert _book(patient_web, Slot(pk=999999)).status_code == 404


def test_others_bookings_answer_404(patient_web):
    theirs = BookingFactory()
    for path in ("/visits/{}/", "/visits/{}/reschedule/", "/visits/{}/calendar.ics"):
        assert patient_web.get(path.format(theirs.pk)).status_code == 404, path
    assert patient_web.post(f"/visits/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED


def test_my_visits_lists_upcoming_and_past_with_status(patient_web, patient):
    upcoming = BookingFactory(patient=patient, slot__start=_at(3))
    cancelled = BookingFactory(patient=patient, slot__start=_at(4), status=Booking.Status.CANCELLED)
    BookingFactory()  # another patient's
    response = patient_web.get("/visits/")
    assert response.context["upcoming"] == [upcoming]
    assert response.context["past"] == [cancelled]
    assert b"Cancelled" in response.content


def test_cancelling_frees_the_slot(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    _book(patient_web, slot)
    booking = Booking.objects.get(slot=slot)
    response = patient_web.post(f"/visits/{booking.pk}/cancel/", {"reason": "Feeling better"})
    assert response.status_code == 302
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and slot.status == Slot.Status.OPEN


def test_inside_the_window_the_page_says_why_and_gives_the_clinics_phone(patient_web, patient, settings):
    settings.CLINIC_PHONE = "+1 555 0100"
    booking = BookingFactory(patient=patient, slot__start=timezone.now() + dt.timedelta(hours=5))
    page = patient_web.get(f"/visits/{booking.pk}/")
    assert b"+1 555 0100" in page.content and b"Cancel this visit" not in page.content
    response = patient_web.post(f"/visits/{booking.pk}/cancel/")
    assert response.status_code == 409
    assert "call the clinic" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_rescheduling_moves_the_visit(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    later = SlotFactory(specialist=doctor, start=_at(5))
    _book(patient_web, slot)
    old = Booking.objects.get(slot=slot)
    assert patient_web.get(f"/visits/{old.pk}/reschedule/").status_code == 200
    response = patient_web.post(f"/visits/{old.pk}/reschedule/", {"slot": later.pk})
    new = Booking.objects.get(slot=later)
    assert response["Location"] == f"/visits/{new.pk}/"
    old.refresh_from_db()
    assert old.status == Booking.Status.RESCHEDULED and new.rescheduled_from == old


@pytest.mark.parametrize("body", [{}, {"slot": "abc"}, {"slot": "999999"}])
def test_a_malformed_reschedule_answers_400(patient_web, patient, body):
    booking = BookingFactory(patient=patient, slot__start=_at(3))
    assert patient_web.post(f"/visits/{booking.pk}/reschedule/", body).status_code == 400
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_the_visit_pages_are_the_patients(client, doctor):
    client.force_login(doctor.user)
    assert client.get("/visits/").status_code == 403
    assert client.get("/profile/").status_code == 403


PROFILE = {
    "first_name": "Ada",
    "last_name": "Byron",
    "phone": "+12125550199",
    "state": "CA",
    "timezone": "America/Los_Angeles",
    "language": "en",
    "email_opt_in": "on",
}


def test_the_profile_saves_through_the_same_rules_as_me(patient_web, patient):
    page = patient_web.get("/profile/")
    assert b"stops reminders by SMS" in page.content
    response = patient_web.post("/profile/", PROFILE)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.state, str(patient.timezone), patient.sms_opt_in) == ("CA", "America/Los_Angeles", False)
    assert patient.user.first_name == "Ada"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("state", "ZZ"),
        ("timezone", "Mars/Base"),
        ("first_name", ""),
        ("last_name", "nul\x00"),
    ],
)
def test_profile_errors_appear_beside_their_fields(patient_web, patient, field, value):
    response = patient_web.post("/profile/", {**PROFILE, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    patient.refresh_from_db()
    assert patient.state == "NY"


def test_wrong_methods_answer_405(patient_web, patient):
    booking = BookingFactory(patient=patient, slot__start=_at(3))
    assert patient_web.get(f"/visits/{booking.pk}/cancel/").status_code == 405
    assert patient_web.delete("/visits/").status_code == 405
    assert patient_web.post("/find/").status_code == 405


@pytest.mark.parametrize(
    "path",
    ["/book/99999999999999999999/", "/visits/99999999999999999999/", "/specialists/99999999999999999999/"],
)
def test_an_id_too_large_for_the_database_answers_404(patient_web, path):
    assert patient_web.get(path).status_code == 404


def test_the_specialists_week_pages_forward_and_back(client, doctor):
    SlotFactory(specialist=doctor, start=_at(1))
    first = client.get(f"/specialists/{doctor.pk}/", {"state": "NY"})
    assert (first.context["previous_week"], first.context["next_week"]) == (None, 1)
    second = client.get(f"/specialists/{doctor.pk}/", {"state": "NY", "week": 1})
    assert (second.context["previous_week"], second.context["next_week"]) == (0, 2)
    assert b"No free times this week." in second.content


def test_find_narrows_to_a_visit_type(client, doctor):
    follow_up = SlotFactory(specialist=doctor, start=_at(2), visit_type=FollowUpFactory())
    consult = SlotFactory(specialist=doctor, start=_at(3))
    search = {"specialty": "chronic-pain", "state": "NY"}
    assert [r["slot"].id for r in client.get("/find/", search).context["results"]] == [follow_up.pk]
    narrowed = client.get("/find/", {**search, "visit_type": consult.visit_type_id})
    assert [r["slot"].id for r in narrowed.context["results"]] == [consult.pk]


def test_a_form_sent_again_with_another_reason_leads_to_the_booking_made(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    key = str(uuid.uuid4())
    _book(patient_web, slot, key=key)
    response = _book(patient_web, slot, reason="Changed my mind about the wording", key=key)
    assert response.status_code == 302 and response["Location"] == "/visits/"
    assert Booking.objects.get(slot=slot).reason == "Back pain"


def test_saving_the_profile_records_only_what_changed(patient_web, patient):
    same = {
        "first_name": patient.user.first_name,
        "last_name": patient.user.last_name,
        "phone": str(patient.phone),
        "state": "NY",
        "timezone": "America/New_York",
        "language": "en",
        "email_opt_in": "on",
        "sms_opt_in": "on",
    }
    assert patient_web.post("/profile/", same).status_code == 302
    assert not AuditEvent.objects.filter(action__in=["user.updated", "patient.updated"]).exists()
    patient_web.post("/profile/", {**same, "sms_opt_in": ""})
    event = AuditEvent.objects.get(action="patient.updated")
    assert event.after["changed"] == ["sms_opt_in"]


def test_my_visits_costs_the_same_few_queries_for_many_visits(
    patient_web, patient, django_assert_max_num_queries
):
    for day in range(1, 6):
        BookingFactory(patient=patient, slot__start=_at(day))
    with django_assert_max_num_queries(8):
        assert patient_web.get("/visits/").status_code == 200


def test_find_costs_the_same_few_queries_for_many_specialists(client, django_assert_max_num_queries):
    for day in range(1, 6):
        SlotFactory(specialist=SpecialistFactory(), start=_at(day))
    with django_assert_max_num_queries(10):
        response = client.get("/find/", {"specialty": "chronic-pain", "state": "NY"})
    assert len(response.context["results"]) == 5


def test_the_confirmation_names_the_reminders_of_each_channel(patient_web, patient, settings):
    settings.REMINDER_OFFSETS = [86400, 3600]
    booking = BookingFactory(patient=patient, slot__start=_at(3))
    page = patient_web.get(f"/visits/{booking.pk}/").content.decode()
    assert page.count("reminders 24 hours and 1 hour before the visit") == 2  # email and SMS


def test_a_refused_follow_up_offers_first_visits(patient_web, doctor):
    follow_up = SlotFactory(specialist=doctor, start=_at(2), visit_type=FollowUpFactory())
    consult = SlotFactory(specialist=doctor, start=_at(4))
    response = _book(patient_web, follow_up)
    assert response.status_code == 400
    assert [s.id for s in response.context["alternatives"]] == [consult.pk]


def test_the_specialists_page_says_when_they_are_not_licensed_in_the_state(client, doctor):
    response = client.get(f"/specialists/{doctor.pk}/", {"state": "CA"})
    assert b"not licensed in CA" in response.content


# --- Time zones: a visitor's browser zone, a person's profile zone ---------------------------------

LA = ZoneInfo("America/Los_Angeles")


def _clock(moment: dt.datetime, zone: ZoneInfo) -> str:
    """ "9:00 AM PST", as a person reads the time in `zone`."""
    here = moment.astimezone(zone)
    return f"{here.hour % 12 or 12}:{here:%M} {here:%p} {here:%Z}"


def test_an_anonymous_visitor_sees_times_in_the_browsers_zone(client, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    client.cookies["tz"] = "America/Los_Angeles"
    page = client.get("/find/", {"specialty": "chronic-pain", "state": "NY"}).content.decode()
    assert _clock(slot.start, LA) in page
    assert "Times are shown in America/Los_Angeles" in page


def test_an_anonymous_visitor_sees_the_specialists_week_in_the_browsers_zone(client, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    client.cookies["tz"] = "America/Los_Angeles"
    page = client.get(f"/specialists/{doctor.pk}/", {"state": "NY"}).content.decode()
    assert _clock(slot.start, LA) in page


@pytest.mark.parametrize("cookie", ["Mars/Olympus_Mons", "../../etc/passwd", "", "America/New_York\x00"])
def test_a_zone_cookie_zoneinfo_does_not_know_falls_back_to_the_clinics_zone(client, doctor, cookie):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    client.cookies["tz"] = cookie
    response = client.get("/find/", {"specialty": "chronic-pain", "state": "NY"})
    assert response.status_code == 200
    page = response.content.decode()
    assert _clock(slot.start, ZoneInfo("America/New_York")) in page
    assert "Times are shown in America/New_York" in page


def test_a_signed_in_patient_keeps_their_profile_zone_over_the_browsers(patient_web, patient, doctor):
    patient.timezone = "Europe/Paris"
    patient.save()
    slot = SlotFactory(specialist=doctor, start=_at(3))
    patient_web.cookies["tz"] = "America/Los_Angeles"
    page = patient_web.get("/find/", {"specialty": "chronic-pain", "state": "NY"}).content.decode()
    assert _clock(slot.start, ZoneInfo("Europe/Paris")) in page
    assert "Times are shown in Europe/Paris" in page


def test_every_page_tells_the_server_the_browsers_zone_by_a_script_file(client):
    page = client.get("/").content.decode()
    assert re.search(r'<script src="/static/web/zone[^"]*\.js" defer>', page)


def test_a_patient_says_they_will_attend_on_the_visit_page(patient_web, doctor):
    slot = SlotFactory(specialist=doctor, start=_at(3))
    _book(patient_web, slot)
    booking = Booking.objects.get(slot=slot)
    assert "I will attend" in patient_web.get(f"/visits/{booking.pk}/").content.decode()

    response = patient_web.post(f"/visits/{booking.pk}/attend/", follow=True)

    booking.refresh_from_db()
    assert booking.attendance_confirmed_at is not None
    page = response.content.decode()
    assert "You said you will attend" in page and "I will attend</button>" not in page


def test_attending_a_cancelled_visit_says_why_it_cannot(patient_web, patient):
    booking = BookingFactory(patient=patient, status=Booking.Status.CANCELLED)

    response = patient_web.post(f"/visits/{booking.pk}/attend/")

    assert response.status_code == 409
    booking.refresh_from_db()
    assert booking.attendance_confirmed_at is None


def test_attending_someone_elses_visit_answers_404(patient_web):
    assert patient_web.post(f"/visits/{BookingFactory().pk}/attend/").status_code == 404


def test_a_phone_that_replied_stop_is_told_to_text_start(patient_web, patient):
    SmsOptOut.objects.create(phone=str(patient.phone))
    patient.sms_opt_in = True
    patient.save()

    page = patient_web.get("/profile/").content.decode()

    assert "text START" in page
