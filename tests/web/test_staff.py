"""Clinic staff book, cancel and move visits for patients from the Django admin's booking pages,
through the patients' own services: the same claim, policies and messages, the admin in the
audit trail; only the API's admin role may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from clinic.models import User
from core.models import AuditEvent
from notifications.models import Notification
from scheduling.models import Booking, Slot
from scheduling.services.slots import SLOT_UNAVAILABLE
from tests.factories import BookingFactory, FollowUpFactory, PatientFactory, SlotFactory, SpecialistFactory

pytestmark = pytest.mark.django_db

BOOK = "/admin/scheduling/booking/book/"


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser(email="desk@clinic.example", password="x" * 12)


@pytest.fixture
def desk(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def soon_booking() -> Booking:
    """A visit in two hours: inside the patients' cancellation window, so they must call."""
    start = (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    return BookingFactory(slot=SlotFactory(start=start, status=Slot.Status.BOOKED))


def test_the_booking_list_offers_to_book_for_a_patient(desk):
    page = desk.get("/admin/scheduling/booking/").content.decode()
    assert f'href="{BOOK}"' in page


def test_an_admin_books_for_a_patient_as_the_patient_would(desk, admin):
    patient, slot = PatientFactory(), SlotFactory()
    assert desk.get(f"{BOOK}?patient={patient.pk}").status_code == 200
    response = desk.post(BOOK, {"patient": patient.pk, "slot": slot.pk, "reason": "Called in"})
    booking = Booking.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/scheduling/booking/{booking.pk}/change/"
    assert (booking.slot_id, booking.status, booking.reason) == (slot.pk, "confirmed", "Called in")
    assert Notification.objects.filter(booking=booking, kind="booking_confirmed").exists()
    assert AuditEvent.objects.get(object_id=booking.pk, action="booking.confirmed").actor == admin


def test_a_refused_booking_shows_the_form_again_with_the_reason(desk):
    patient = PatientFactory()
    taken = BookingFactory().slot
    response = desk.post(BOOK, {"patient": patient.pk, "slot": taken.pk})
    assert response.status_code == 409
    assert response.context["form"].errors["slot"] == [SLOT_UNAVAILABLE]  # beside its field
    assert not Booking.objects.filter(patient=patient).exists()


def _in(days: int) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)


def _listed(response) -> list[int]:
    """The slots the page offers to choose from, in the order shown."""
    return [int(value) for value, _label in response.context["form"].fields["slot"].widget.choices]


def test_the_booking_page_first_asks_whose_free_slots_to_list(desk):
    response = desk.get(BOOK)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="specialist"' in page and "Show free slots" in page
    assert 'name="slot"' not in page  # no slot id to type


def test_choosing_a_specialist_lists_their_next_free_slots_soonest_first(desk):
    doctor = SpecialistFactory()
    later, sooner = SlotFactory(specialist=doctor, start=_in(5)), SlotFactory(specialist=doctor, start=_in(3))
    BookingFactory(slot=SlotFactory(specialist=doctor, start=_in(4), status=Slot.Status.BOOKED))
    SlotFactory(start=_in(2))  # another specialist's
    response = desk.get(BOOK, {"specialist": doctor.pk})
    assert response.status_code == 200
    assert _listed(response) == [sooner.pk, later.pk]
    assert f'type="radio" name="slot" value="{sooner.pk}"' in response.content.decode()


def test_the_list_keeps_to_twenty_slots(desk):
    doctor = SpecialistFactory()
    for day in range(2, 30):
        SlotFactory(specialist=doctor, start=_in(day))
    assert len(_listed(desk.get(BOOK, {"specialist": doctor.pk}))) == 20


def test_the_list_narrows_to_a_visit_type(desk):
    doctor = SpecialistFactory()
    SlotFactory(specialist=doctor, start=_in(3))
    follow_up = SlotFactory(specialist=doctor, start=_in(4), visit_type=FollowUpFactory())
    response = desk.get(BOOK, {"specialist": doctor.pk, "visit_type": follow_up.visit_type_id})
    assert _listed(response) == [follow_up.pk]


def test_from_a_patients_page_the_list_keeps_to_slots_their_state_allows(desk):
    patient = PatientFactory(state="CA")
    SlotFactory(specialist=SpecialistFactory(states=["NY"]), start=_in(3))
    licensed = SlotFactory(specialist=SpecialistFactory(states=["CA"]), start=_in(3))
    for slot in Slot.objects.all():
        response = desk.get(BOOK, {"specialist": slot.specialist_id, "patient": patient.pk})
        assert _listed(response) == ([licensed.pk] if slot == licensed else [])


def test_an_admin_books_a_listed_slot(desk):
    patient, slot = PatientFactory(), SlotFactory(start=_in(3))
    url = f"{BOOK}?specialist={slot.specialist_id}&patient={patient.pk}"
    assert f'value="{slot.pk}"' in desk.get(url).content.decode()
    response = desk.post(url, {"patient": patient.pk, "slot": slot.pk, "reason": "Called in"})
    assert response.status_code == 302
    assert Booking.objects.get(patient=patient).slot_id == slot.pk


def test_a_slot_taken_meanwhile_is_refused_and_the_next_free_slots_listed_again(desk):
    doctor, patient = SpecialistFactory(), PatientFactory()
    taken, free = SlotFactory(specialist=doctor, start=_in(3)), SlotFactory(specialist=doctor, start=_in(4))
    url = f"{BOOK}?specialist={doctor.pk}"
    assert _listed(desk.get(url)) == [taken.pk, free.pk]
    BookingFactory(slot=taken)  # someone else books it while the page is open
    Slot.objects.filter(pk=taken.pk).update(status=Slot.Status.BOOKED)
    response = desk.post(url, {"patient": patient.pk, "slot": taken.pk})
    assert response.status_code == 409
    assert response.context["form"].errors["slot"] == [SLOT_UNAVAILABLE]
    assert _listed(response) == [free.pk]
    assert not Booking.objects.filter(patient=patient).exists()


def test_a_booking_the_policies_refuse_answers_400_with_the_reason(desk):
    patient = PatientFactory(state="CA")
    slot = SlotFactory(specialist=SpecialistFactory(states=["NY"]), start=_in(3))
    response = desk.post(f"{BOOK}?specialist={slot.specialist_id}", {"patient": patient.pk, "slot": slot.pk})
    assert response.status_code == 400
    assert "The specialist is not licensed in your state on that date." in response.content.decode()
    assert not Booking.objects.filter(patient=patient).exists()


def test_an_unknown_specialist_answers_400_beside_the_field(desk):
    response = desk.get(BOOK, {"specialist": "999999"})
    assert response.status_code == 400
    assert response.context["choose"].errors["specialist"]


@pytest.mark.parametrize("body", [{}, {"patient": "abc", "slot": "1"}, {"patient": "999999", "slot": "-1"}])
def test_a_malformed_booking_form_answers_400_beside_its_fields(desk, body):
    response = desk.post(BOOK, body)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_an_admin_cancels_inside_the_patients_window(desk, admin):
    booking = soon_booking()
    page = desk.get(f"/admin/scheduling/booking/{booking.pk}/change/").content.decode()
    assert f'href="/admin/scheduling/booking/{booking.pk}/cancel/"' in page
    response = desk.post(f"/admin/scheduling/booking/{booking.pk}/cancel/", {"reason": "Patient called"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == ("cancelled", "admin")
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.OPEN
    assert Notification.objects.filter(booking=booking, kind="booking_cancelled").exists()
    assert AuditEvent.objects.get(object_id=booking.pk, action="booking.cancelled").actor == admin


def test_an_admin_moves_a_visit_to_another_slot(desk):
    booking = soon_booking()
    target = SlotFactory(specialist=booking.slot.specialist, visit_type=booking.slot.visit_type)
    response = desk.post(f"/admin/scheduling/booking/{booking.pk}/move/", {"slot": target.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "rescheduled"
    new = Booking.objects.get(rescheduled_from=booking)
    assert new.slot_id == target.pk
    assert response["Location"] == f"/admin/scheduling/booking/{new.pk}/change/"


def test_moving_a_visit_to_a_taken_slot_answers_409_and_changes_nothing(desk):
    booking = soon_booking()
    taken = BookingFactory(
        slot__specialist=booking.slot.specialist, slot__visit_type=booking.slot.visit_type
    ).slot
    response = desk.post(f"/admin/scheduling/booking/{booking.pk}/move/", {"slot": taken.pk})
    assert response.status_code == 409
    assert response.context["form"].errors["slot"] == [SLOT_UNAVAILABLE]
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
    assert not Booking.objects.filter(rescheduled_from=booking).exists()


def test_a_cancelled_visit_cannot_be_cancelled_again(desk):
    booking = BookingFactory(status=Booking.Status.CANCELLED)
    response = desk.post(f"/admin/scheduling/booking/{booking.pk}/cancel/", {})
    assert response.status_code == 409
    assert "The booking is cancelled." in response.content.decode()


@pytest.mark.parametrize("action", ["cancel", "move"])
def test_an_unknown_booking_answers_404(desk, action):
    assert desk.get(f"/admin/scheduling/booking/999999/{action}/").status_code == 404


@pytest.mark.parametrize(
    "url", [BOOK, "/admin/scheduling/booking/{pk}/cancel/", "/admin/scheduling/booking/{pk}/move/"]
)
def test_staff_without_the_admin_role_may_not_act_for_patients(url):
    booking = BookingFactory()
    watcher = User.objects.create_user(email="watch@clinic.example", password="x" * 12, is_staff=True)
    watcher.user_permissions.add(Permission.objects.get(codename="view_booking"))
    client = Client()
    client.force_login(watcher)
    assert client.get(url.format(pk=booking.pk)).status_code == 403
    assert client.post(url.format(pk=booking.pk), {"reason": "x"}).status_code == 403
    assert f'href="{BOOK}"' not in client.get("/admin/scheduling/booking/").content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"


def test_a_patients_admin_page_offers_to_book_for_them(desk):
    patient = PatientFactory()
    page = desk.get(f"/admin/clinic/patient/{patient.pk}/change/").content.decode()
    assert f'href="{BOOK}?patient={patient.pk}"' in page
    form = desk.get(f"{BOOK}?patient={patient.pk}").content.decode()
    assert f'value="{patient.pk}"' in form
