"""The visit page in Chromium: a join link opened before the window (the countdown) and during
it (the room's link), on a phone and a desktop. The live server's clock is the real one, so the
visits are booked around now."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from scheduling.models import Slot
from scheduling.services import bookings
from scheduling.video import Participant, join_url, video_visit_create
from tests.factories import BookingFactory, SlotFactory, SpecialistFactory, UserFactory


def _booking_starting_in(minutes: int):
    """A confirmed visit with its links. Near visits are inserted directly: booking_create
    rightly refuses a visit sooner than the minimum notice."""
    start = (timezone.now() + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    specialist = SpecialistFactory(
        user=UserFactory(first_name="Oliver", last_name="Sacks", role="specialist"), credentials="MD"
    )
    booking = BookingFactory(slot=SlotFactory(specialist=specialist, start=start, status=Slot.Status.BOOKED))
    video_visit_create(booking=booking)
    return booking


def _path(booking) -> str:
    return "/v/" + join_url(booking, Participant.PATIENT).rsplit("/", 1)[1]


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_before_the_window_the_page_counts_down_to_the_opening(
    transactional_db, request, viewport, axe_check, screenshot
):
    booking = _booking_starting_in(60 * 3)
    page = request.getfixturevalue(viewport)
    response = page.goto(_path(booking))
    assert response.status == 200
    assert page.get_by_role(
        "heading", level=1, name="Your video visit with Dr. Oliver Sacks, MD"
    ).is_visible()
    assert page.get_by_role("heading", name=re.compile(r"^The room opens at .+ E[SD]T$")).is_visible()
    countdown = page.get_by_text(re.compile(r"Opens in \d+:\d\d:\d\d"))
    assert countdown.is_visible()  # the script ran under the CSP
    first = countdown.inner_text()
    # It counts (no sleep: wait until the text changes).
    page.wait_for_function("first => !document.body.innerText.includes(first)", arg=first)
    assert not page.get_by_text("Tremor").count()
    axe_check(page)
    screenshot(page, "visit-before")


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_during_the_window_the_page_offers_the_room(
    transactional_db, request, viewport, axe_check, screenshot, settings
):
    settings.VIDEO_PROVIDER = "url"
    settings.VIDEO_URL_TEMPLATE = "https://meet.example/{room}"
    booking = _booking_starting_in(5)
    page = request.getfixturevalue(viewport)
    response = page.goto(_path(booking))
    assert response.status == 200
    assert page.get_by_role("heading", name="The room is open").is_visible()
    enter = page.get_by_role("link", name="Enter the video room (opens in a new tab)")
    assert enter.get_attribute("href") == f"https://meet.example/{booking.video.room}"
    axe_check(page)
    screenshot(page, "visit-open")


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_a_cancelled_visit_says_so(transactional_db, request, viewport, axe_check, screenshot):
    booking = _booking_starting_in(60 * 72)
    path = _path(booking)
    bookings.booking_cancel(booking=booking, by=booking.patient.user)
    page = request.getfixturevalue(viewport)
    response = page.goto(path)
    assert response.status == 410
    assert page.get_by_role("heading", level=1, name="This visit was cancelled").is_visible()
    assert page.get_by_role("link", name="Book another visit").is_visible()
    axe_check(page)
    screenshot(page, "visit-cancelled")


def test_an_unknown_link_answers_a_page(page, axe_check, screenshot):
    response = page.goto("/v/not-a-real-token-at-all")
    assert response.status == 404
    assert page.get_by_role("heading", level=1, name="We can't find this visit").is_visible()
    axe_check(page)
    screenshot(page, "visit-not-found")


def test_the_page_adds_the_time_in_the_devices_zone(browser, live_server, transactional_db, axe_check):
    from tests.web.browser.conftest import _open

    booking = _booking_starting_in(60 * 3)
    pages = _open(browser, live_server, viewport={"width": 390, "height": 844}, timezone_id="Europe/Berlin")
    page = next(pages)
    page.goto(_path(booking))
    # The page's zone is the clinic's (anonymous viewer); the device's is named beside it.
    assert page.get_by_text(re.compile(r"on this device \(Europe/Berlin\)")).is_visible()
    axe_check(page)
    next(pages, None)  # closes the context, checking the CSP held


def test_before_the_visit_the_camera_and_microphone_can_be_tested(transactional_db, page):
    booking = _booking_starting_in(60 * 3)
    page.goto(_path(booking))
    page.get_by_role("button", name="Test my camera and microphone").click()
    # Headless Chromium has no camera: the check says so, plainly, instead of failing silently.
    status = page.get_by_role("status").filter(has_text=re.compile("camera"))
    status.wait_for()
    assert "camera" in status.inner_text()


def test_with_twilio_the_sdk_loads_under_the_policy_and_a_failure_is_said(
    transactional_db, page, settings, axe_check, screenshot
):
    settings.VIDEO_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_API_KEY_SID = "SK" + "0" * 32
    settings.TWILIO_API_KEY_SECRET = "an-api-key-secret-of-32-bytes-or-more"
    booking = _booking_starting_in(5)
    page.goto(_path(booking))
    assert page.evaluate("window.Twilio.Video.version") == "2.36.0"
    assert page.get_by_text(f"You join as patient-{booking.pk}").is_visible()
    assert not page.get_by_role("button", name="Leave").is_visible()  # only once in the room
    page.get_by_role("button", name="Join the video visit").click()
    # No camera here and no Twilio account behind the token: the page says what to do.
    page.get_by_role("status").filter(has_text="could not be opened").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Join the video visit").is_enabled()
    axe_check(page)
    screenshot(page, "visit-open-twilio")


def test_with_twilio_and_a_camera_the_sdk_reaches_for_twilio_within_the_policy(
    browser, live_server, transactional_db, settings
):
    """Chromium's fake camera and microphone get the SDK past the devices to Twilio's signalling
    (unreachable from here): the page's policy must let it try, and the page says it failed."""
    from tests.web.browser.conftest import CHROMIUM, _open

    settings.VIDEO_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_API_KEY_SID = "SK" + "0" * 32
    settings.TWILIO_API_KEY_SECRET = "an-api-key-secret-of-32-bytes-or-more"
    booking = _booking_starting_in(5)
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    )
    try:
        pages = _open(with_camera, live_server, viewport={"width": 1280, "height": 800})
        page = next(pages)
        page.context.grant_permissions(["camera", "microphone"])
        requests: list[str] = []
        page.on("websocket", lambda socket: requests.append(socket.url))
        page.goto(_path(booking))
        page.get_by_role("button", name="Join the video visit").click()
        page.get_by_role("status").filter(has_text="could not be opened").wait_for(timeout=60_000)
        assert any(url.startswith("wss://global.vss.twilio.com/") for url in requests), requests
        next(pages, None)  # closes the context, failing on any refusal by the policy
    finally:
        with_camera.close()
