"""The visit page through Django's test client: what a join link shows a browser before, during
and after the visit's window, and the same link's JSON for machines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling.services import bookings
from scheduling.video import Participant, join_url
from tests.factories import PatientFactory, SlotFactory, SpecialistFactory, UserFactory
from web.templatetags.clinic_time import local, local_time

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def booking():
    specialist = SpecialistFactory(
        user=UserFactory(first_name="Oliver", last_name="Sacks", role="specialist")
    )
    slot = SlotFactory(specialist=specialist)
    return bookings.booking_create(
        user=PatientFactory().user, slot_id=slot.pk, reason="Tremor in the left hand"
    ).booking


def path_of(booking, participant=Participant.PATIENT):
    return "/v/" + join_url(booking, participant).rsplit("/", 1)[1]


def opens_at(booking, settings):
    return booking.slot.start - dt.timedelta(minutes=settings.JOIN_WINDOW_MINUTES)


def test_before_the_window_the_page_says_when_the_room_opens(client, booking, settings):
    settings.CLINIC_TIMEZONE = "America/New_York"
    response = client.get(path_of(booking), HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"The room opens at {local(opens_at(booking, settings), NEW_YORK)}" in page
    assert local(booking.slot.start, NEW_YORK) in page  # the visit's time, its zone named
    assert "Dr. Oliver Sacks" in page
    assert "Tremor" not in page  # the reason is never on the page
    assert 'src="/static/web/visit.js"' in page  # the countdown


def test_a_signed_in_viewer_sees_the_times_in_their_own_zone(client, booking, settings):
    settings.CLINIC_TIMEZONE = "America/New_York"
    booking.patient.timezone = "Europe/Berlin"
    booking.patient.save()
    client.force_login(booking.patient.user)
    page = client.get(path_of(booking), HTTP_ACCEPT=BROWSER).content.decode()
    berlin = ZoneInfo("Europe/Berlin")
    assert f"The room opens at {local(opens_at(booking, settings), berlin)}" in page
    assert local(booking.slot.start, NEW_YORK) not in page


def test_during_the_window_the_page_links_out_to_the_room(client, booking, settings):
    settings.VIDEO_PROVIDER = "url"
    settings.VIDEO_URL_TEMPLATE = "https://meet.example/{room}"
    with time_machine.travel(booking.slot.start - dt.timedelta(minutes=5)):
        response = client.get(path_of(booking), HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="https://meet.example/{booking.video.room}"' in page
    assert "Enter the video room" in page
    assert 'rel="noopener noreferrer"' in page  # the token in our URL never reaches the provider
    assert "data-opens-at" not in page  # no countdown


def test_during_the_window_with_twilio_the_page_opens_the_room_itself(client, booking, settings):
    settings.VIDEO_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_API_KEY_SID = "SK" + "0" * 32
    settings.TWILIO_API_KEY_SECRET = "an-api-key-secret-of-32-bytes-or-more"
    with time_machine.travel(booking.slot.start):
        response = client.get(path_of(booking, Participant.SPECIALIST), HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"You join as specialist-{booking.pk}" in page
    assert f'data-room="{booking.video.room}"' in page
    assert 'data-token="ey' in page  # the participant's own access token (a JWT)
    assert 'src="/static/web/vendor/twilio-video-2.36.0.min.js"' in page  # vendored, pinned
    # Only this page lets the browser reach Twilio's signalling.
    assert "wss://*.twilio.com" in response["Content-Security-Policy"]


def test_other_pages_keep_the_strict_policy(client, booking):
    response = client.get(path_of(booking), HTTP_ACCEPT=BROWSER)
    assert "twilio" not in response["Content-Security-Policy"]


def test_after_the_end_the_page_says_the_visit_has_ended_with_410(client, booking):
    with time_machine.travel(booking.slot.end + dt.timedelta(seconds=1)):
        response = client.get(path_of(booking), HTTP_ACCEPT=BROWSER)
    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    assert "This visit has ended" in response.content.decode()


def test_a_cancelled_visit_says_so_with_410(client, booking):
    path = path_of(booking)
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    with time_machine.travel(booking.slot.start):
        response = client.get(path, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 410
    assert "This visit was cancelled" in response.content.decode()
    assert 'href="/find/"' in response.content.decode()


def test_a_moved_visit_sends_the_old_link_to_the_new_message(client, booking):
    path = path_of(booking)
    target = SlotFactory(specialist=booking.slot.specialist, start=booking.slot.start + dt.timedelta(days=1))
    bookings.booking_reschedule(booking=booking, slot_id=target.pk, by=booking.patient.user)
    response = client.get(path, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 410
    assert "This visit was moved" in response.content.decode()


@pytest.mark.parametrize("token", ["not-a-real-token-at-all", "x" * 22, "%00", "%C3%A9" * 300])
def test_an_unknown_token_answers_a_404_page(client, token):
    response = client.get(f"/v/{token}", HTTP_ACCEPT=BROWSER)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "find this visit" in response.content.decode()


@pytest.mark.parametrize("accept", ["application/json", "", "*/*", "application/json, text/html;q=0.5"])
def test_machines_keep_the_json(client, booking, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(path_of(booking), **headers)
    assert response.status_code == 403
    assert response.json()["code"] == "too_early"


def test_the_api_path_stays_json_for_a_browser(client, booking):
    token = path_of(booking).rsplit("/", 1)[1]
    with time_machine.travel(booking.slot.end + dt.timedelta(seconds=1)):
        response = client.get(f"/api/v1/visits/join/{token}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 410
    assert response.json()["code"] == "visit_closed"


def test_the_page_is_never_cached_and_varies_with_accept(client, booking):
    response = client.get(path_of(booking), HTTP_ACCEPT=BROWSER)
    assert "no-store" in response["Cache-Control"]
    assert "Accept" in response["Vary"]


def test_the_page_reads_the_visit_in_a_few_queries(client, booking, django_assert_max_num_queries):
    path = path_of(booking)
    with django_assert_max_num_queries(3):
        client.get(path, HTTP_ACCEPT=BROWSER)


def test_the_close_time_is_shown_in_the_room(client, booking, settings):
    settings.CLINIC_TIMEZONE = "America/New_York"
    with time_machine.travel(booking.slot.start):
        page = client.get(path_of(booking), HTTP_ACCEPT=BROWSER).content.decode()
    assert f"The room closes at {local_time(booking.slot.end, NEW_YORK)}" in page


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_another_method_gets_the_apis_405(booking, method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # a 405, not a CSRF failure
    assert getattr(client, method)(path_of(booking), HTTP_ACCEPT=BROWSER).status_code == 405
    response = getattr(client, method)(path_of(booking), HTTP_ACCEPT="application/json")
    assert response.json()["code"] == "method_not_allowed"
