"""Video links: unguessable, stored only as hashes, open only inside the join window."""

import datetime as dt

import jwt
import pytest
import time_machine
from django.utils import timezone

from scheduling.models import VideoVisit
from scheduling.services import bookings
from scheduling.video import Participant, join_url, join_url_of, token_hash
from tests.conftest import client_for
from tests.factories import PatientFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    return bookings.booking_create(user=PatientFactory().user, slot_id=SlotFactory().pk).booking


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def join(client, url):
    return client.get(f"/api/v1/visits/join/{token_of(url)}/")


def test_each_booking_gets_a_room_with_a_link_per_participant_stored_only_as_hashes(booking):
    visit = VideoVisit.objects.get(booking=booking)
    patient_token = token_of(join_url(booking, Participant.PATIENT))
    specialist_token = token_of(join_url(booking, Participant.SPECIALIST))
    assert patient_token != specialist_token
    assert len(patient_token) == 22  # 128 bits, base64url
    assert visit.patient_token_sha256 == token_hash(patient_token)
    row = VideoVisit.objects.filter(pk=visit.pk).values().get()
    assert all(patient_token not in str(value) for value in row.values())


def test_join_links_are_the_ones_reminders_already_carry(settings):
    # Computed once, for this key and nonce, by the code that wrote the links already sent.
    settings.SECRET_KEY = "pinned-secret-key-for-signed-links"
    nonce = "0123456789abcdef0123456789abcdef"

    assert join_url_of(nonce, Participant.PATIENT).endswith("/v/ceO5OGkPrreFMxTwSuteBQ")
    assert join_url_of(nonce, Participant.SPECIALIST).endswith("/v/HkMpDuxSBw7q54S_JHvhDw")


def test_the_booking_detail_shows_each_side_its_own_link(booking):
    patient_view = client_for(booking.patient.user).get(f"/api/v1/bookings/{booking.pk}/").json()
    specialist_view = client_for(booking.slot.specialist.user).get(f"/api/v1/bookings/{booking.pk}/").json()
    assert patient_view["video"]["join_url"] == join_url(booking, Participant.PATIENT)
    assert specialist_view["video"]["join_url"] == join_url(booking, Participant.SPECIALIST)


def test_an_admin_sees_no_join_link(booking, admin_client):
    # The patient's link would let the admin into the room as the patient (API.md: null).
    view = admin_client.get(f"/api/v1/bookings/{booking.pk}/").json()
    assert view["video"] == {"join_url": None}
    assert view["reason"] == booking.reason


def test_before_the_window_answers_too_early_with_opens_at(anon, booking, settings):
    response = join(anon, join_url(booking, Participant.PATIENT))
    assert response.status_code == 403
    assert response.json()["code"] == "too_early"
    opens = booking.slot.start - dt.timedelta(minutes=settings.JOIN_WINDOW_MINUTES)
    assert response.json()["opens_at"] == opens.isoformat().replace("+00:00", "Z")


def test_inside_the_window_returns_the_room_and_a_provider_url(anon, booking, settings):
    settings.VIDEO_PROVIDER = "url"
    settings.VIDEO_URL_TEMPLATE = "https://meet.example/{room}"
    with time_machine.travel(booking.slot.start - dt.timedelta(minutes=10)):
        response = join(anon, join_url(booking, Participant.PATIENT))
    assert response.status_code == 200
    body = response.json()
    visit = VideoVisit.objects.get(booking=booking)
    assert body["room"] == visit.room
    assert body["url"] == f"https://meet.example/{visit.room}"
    assert body["access_token"] is None
    assert body["identity"] == f"patient-{booking.pk}"


def test_twilio_provider_returns_an_access_token_for_the_room_expiring_with_the_window(
    anon, booking, settings
):
    settings.VIDEO_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_API_KEY_SID = "SK" + "0" * 32
    settings.TWILIO_API_KEY_SECRET = "an-api-key-secret-of-32-bytes-or-more"
    with time_machine.travel(booking.slot.start, tick=False):
        body = client_for(None).get(f"/v/{token_of(join_url(booking, Participant.SPECIALIST))}").json()
        claims = jwt.decode(
            body["access_token"],
            "an-api-key-secret-of-32-bytes-or-more",
            algorithms=["HS256"],
            options={"verify_exp": False},
        )
    visit = VideoVisit.objects.get(booking=booking)
    assert claims["grants"] == {"identity": f"specialist-{booking.pk}", "video": {"room": visit.room}}
    assert claims["iss"] == "SK" + "0" * 32
    assert claims["exp"] == int(booking.slot.end.timestamp())
    assert body["url"] is None


def test_after_the_end_answers_visit_closed(anon, booking):
    with time_machine.travel(booking.slot.end + dt.timedelta(seconds=1)):
        response = join(anon, join_url(booking, Participant.PATIENT))
    assert response.status_code == 410
    assert response.json()["code"] == "visit_closed"


def test_a_cancelled_visit_answers_visit_closed(anon, booking):
    url = join_url(booking, Participant.PATIENT)
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    with time_machine.travel(booking.slot.start):
        assert join(anon, url).status_code == 410


def test_a_rescheduled_visit_gets_new_links_and_the_old_ones_close(anon, booking):
    old_url = join_url(booking, Participant.PATIENT)
    target = SlotFactory(specialist=booking.slot.specialist, start=booking.slot.start + dt.timedelta(days=1))
    new = bookings.booking_reschedule(booking=booking, slot_id=target.pk, by=booking.patient.user)
    new_url = join_url(new, Participant.PATIENT)
    assert new_url != old_url
    with time_machine.travel(target.start):
        assert join(anon, old_url).status_code == 410
        assert join(anon, new_url).status_code == 200


def test_an_unknown_token_answers_404(anon):
    assert anon.get("/api/v1/visits/join/not-a-real-token-at-all/").status_code == 404
    assert anon.get(f"/v/{timezone.now().timestamp()}").status_code == 404
