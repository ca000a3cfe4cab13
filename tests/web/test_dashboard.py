"""`/admin/queue/`: the reminder queue's dashboard in the Django admin, its retry and cancel
buttons, and who may see it. The numbers come from the selectors tested in test_stats.py."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from clinic.models import User
from core.models import AuditEvent
from notifications.models import DispatcherRun, Notification
from scheduling.models import Booking
from tests.factories import AdminFactory, NotificationFactory, UserFactory
from tests.integration.processes import DEAD_BROKER, celery_broker
from web.dashboard import chart_stylesheet

pytestmark = pytest.mark.django_db
Status = Notification.Status
Kind = Notification.Kind
URL = "/admin/queue/"
PHONE = "+12125550123"


VIEW, STEER = "view_notification", "change_notification"


def staff_user(*permissions: str) -> User:
    """A staff user (able to enter the Django admin) with these permissions on notifications."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="notifications", codename__in=permissions)
    )
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(db) -> Client:
    """An operator: staff who may see the queue and steer it."""
    return signed_in(staff_user(VIEW, STEER))


def page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200, response.content
    return response.content.decode()


def flashed(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def test_staff_see_the_stats(staff, broker_says):
    # Frozen at the real time: the login's session expires if the test travels far.
    now = timezone.now()
    DispatcherRun.objects.create(name="notifications", last_run_at=now - dt.timedelta(seconds=20))
    NotificationFactory(send_at=now - dt.timedelta(seconds=200))
    NotificationFactory(status=Status.SENT, sent_at=now - dt.timedelta(minutes=5))

    with time_machine.travel(now, tick=False):
        html = page(staff)

    assert "3 min 20 s late" in html  # the oldest overdue
    assert "20 s ago" in html  # the dispatcher
    assert '<td id="queue-depth">7</td>' in html
    assert "worker@clinic-1" in html
    assert "no worker answers" not in html
    assert "refreshes every 10 seconds" in html
    assert '<meta http-equiv="refresh" content="10">' in html


def test_the_counts_table_has_a_row_per_channel_and_a_column_per_status(staff, broker_says):
    NotificationFactory.create_batch(2)
    NotificationFactory(status=Status.SENT)

    html = page(staff)

    cells = "".join(f"<td>{n}</td>" for n in (2, 0, 0, 1, 0, 0, 0, 0, 0))
    assert f'<tr><th scope="row">sms</th>{cells}<td>3</td></tr>' in html


def test_a_dispatcher_that_stopped_running_is_flagged(staff, broker_says):
    now = timezone.now()
    DispatcherRun.objects.create(name="notifications", last_run_at=now - dt.timedelta(minutes=10))

    with time_machine.travel(now, tick=False):
        html = page(staff)

    assert '<span class="queue-alert">10 min 0 s ago</span>' in html


def test_the_chart_is_inline_svg_of_sent_and_failed_per_hour_without_any_script(staff, broker_says):
    NotificationFactory(status=Status.SENT, sent_at=timezone.now() - dt.timedelta(minutes=5))

    html = page(staff)

    chart = html[html.index('id="queue-chart"') : html.index('id="queue-overdue"')]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in chart
    assert ">sent<" in chart
    assert ">failed<" in chart
    assert "<script" not in chart
    # Nothing from the internet: every script of the page is the admin's own, served here.
    assert re.findall(r'<script[^>]*src="(?!/static/admin/)', html) == []
    assert "kozea.github.io" not in html


def test_the_chart_labels_the_current_hour_and_every_third_one_before_it(staff, broker_says):
    now = timezone.now()  # the real time: the login's session expires if the test travels far

    with time_machine.travel(now, tick=False):
        html = page(staff)

    chart = html[html.index('id="queue-chart"') : html.index('id="queue-overdue"')]
    labels = re.findall(r">(\d\d:00)</text>", chart)
    hours = [(now - dt.timedelta(hours=back)).strftime("%H:00") for back in range(0, 24, 3)]
    assert sorted(labels) == sorted(hours)
    assert f">{now:%H}:00</text>" in chart


def test_the_page_has_no_inline_script_style_or_event_handler(staff, broker_says):
    # A Content Security Policy without 'unsafe-inline' holds on this page.
    NotificationFactory(status=Status.SENT, sent_at=timezone.now() - dt.timedelta(minutes=5))
    NotificationFactory(status=Status.FAILED, last_error="Landline or unreachable")
    NotificationFactory(send_at=timezone.now() - dt.timedelta(minutes=3))

    html = page(staff)

    assert "<svg" in html
    assert "<style" not in html
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []


def test_the_page_is_styled_by_static_files(staff, broker_says):
    html = page(staff)

    for name in ("web/queue.css", "web/queue-chart.css"):
        assert f'<link rel="stylesheet" href="/static/{name}">' in html
        assert finders.find(name) is not None
    assert ".queue-alert" in Path(finders.find("web/queue.css")).read_text()


def test_the_chart_stylesheet_is_what_pygal_would_write_inline():
    # Written again after a change of the chart's style or of pygal:
    # manage.py shell -c "from web.dashboard import chart_stylesheet; print(chart_stylesheet(), end='')" \
    #   > web/static/web/queue-chart.css
    stylesheet = Path(finders.find("web/queue-chart.css")).read_text()

    assert stylesheet == chart_stylesheet()
    assert "#queue-chart svg .color-1" in stylesheet  # the second series: failed
    assert "stroke:#ba2121;fill:#ba2121" in stylesheet


def test_an_overdue_message_is_listed_with_its_error_and_a_cancel_button(staff, broker_says):
    overdue = NotificationFactory(
        send_at=timezone.now() - dt.timedelta(minutes=3), attempts=2, last_error="Twilio unreachable: Timeout"
    )

    html = page(staff)

    section = html[html.index('id="queue-overdue"') : html.index('id="queue-failed"')]
    assert f'href="/admin/notifications/notification/{overdue.pk}/change/"' in section
    assert "Twilio unreachable: Timeout" in section
    assert f'action="/admin/queue/{overdue.pk}/cancel/"' in section


def test_a_failed_message_is_listed_with_its_error_code_and_a_retry_button(staff, broker_says):
    failed = NotificationFactory(
        status=Status.FAILED, error_code="30006", last_error="Landline or unreachable"
    )

    html = page(staff)

    section = html[html.index('id="queue-failed"') : html.index('id="queue-latest"')]
    assert f'href="/admin/notifications/notification/{failed.pk}/change/"' in section
    assert "<td>30006</td>" in section
    assert "Landline or unreachable" in section
    assert f'action="/admin/queue/{failed.pk}/retry/"' in section
    assert 'value="Retry"' in section
    assert "csrfmiddlewaretoken" in section


def test_the_newest_messages_offer_retry_when_cancelled_and_cancel_while_waiting(staff, broker_says):
    cancelled = NotificationFactory(status=Status.CANCELLED)
    waiting = NotificationFactory()
    sent = NotificationFactory(status=Status.SENT)

    html = page(staff)

    section = html[html.index('id="queue-latest"') :]
    assert f'action="/admin/queue/{cancelled.pk}/retry/"' in section
    assert f'action="/admin/queue/{waiting.pk}/cancel/"' in section
    assert f"/admin/queue/{sent.pk}/" not in section


@pytest.mark.parametrize("visit", [Booking.Status.CANCELLED, Booking.Status.RESCHEDULED])
@pytest.mark.parametrize("status", [Status.FAILED, Status.CANCELLED])
@pytest.mark.parametrize("kind", [Kind.REMINDER, Kind.BOOKING_CONFIRMED, Kind.BOOKING_RESCHEDULED])
def test_no_retry_is_offered_for_a_message_about_a_visit_that_is_off(staff, broker_says, visit, status, kind):
    # Its send would only find the visit off and cancel it again.
    notification = NotificationFactory(status=status, kind=kind, booking__status=visit)

    html = page(staff)

    assert f"/admin/queue/{notification.pk}/retry/" not in html
    assert 'value="Retry"' not in html


def test_the_notice_of_a_cancelled_visit_can_be_retried(staff, broker_says):
    notice = NotificationFactory(
        status=Status.FAILED, kind=Kind.BOOKING_CANCELLED, booking__status=Booking.Status.CANCELLED
    )

    html = page(staff)

    assert f'action="/admin/queue/{notice.pk}/retry/"' in html


def test_a_retried_message_no_longer_shows_its_previous_error(staff, broker_says):
    notification = NotificationFactory(
        status=Status.FAILED, error_code="30006", last_error="Landline or unreachable"
    )
    assert "Landline or unreachable" in page(staff)

    staff.post(f"{URL}{notification.pk}/retry/")
    html = page(staff)

    assert f'href="/admin/notifications/notification/{notification.pk}/change/"' in html  # still listed
    assert "Landline or unreachable" not in html
    assert "<td>30006</td>" not in html


def test_the_page_masks_every_recipient_even_inside_an_error(staff, broker_says):
    NotificationFactory(
        recipient=PHONE,
        status=Status.FAILED,
        last_error=f"The 'To' number {PHONE} is not a valid phone number.",
    )
    NotificationFactory(
        channel=Notification.Channel.EMAIL,
        recipient="pat.doe@example.org",
        send_at=timezone.now() - dt.timedelta(minutes=1),
        last_error="SMTP refused pat.doe@example.org",
    )

    html = page(staff)

    assert PHONE not in html
    assert "2125550123" not in html
    assert "pat.doe" not in html
    assert "********0123" in html
    assert "***@example.org" in html


def test_anonymous_users_are_sent_to_the_admin_login(broker_says):
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={URL}"


@pytest.mark.parametrize("role", ["patient", "specialist"])
def test_patients_and_specialists_are_sent_to_the_admin_login(broker_says, role):
    notification = NotificationFactory(status=Status.FAILED)
    user = (
        notification.booking.patient.user if role == "patient" else notification.booking.slot.specialist.user
    )
    client = Client()
    client.force_login(user)

    for response in (client.get(URL), client.post(f"{URL}{notification.pk}/retry/")):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


def test_retry_puts_a_failed_message_back_to_pending_and_says_so(staff, broker_says):
    notification = NotificationFactory(status=Status.FAILED, attempts=5)

    response = staff.post(f"{URL}{notification.pk}/retry/")

    assert response.status_code == 302
    assert response["Location"] == URL
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.PENDING, 0)
    [(level, text)] = flashed(response)
    assert level == "success"
    assert f"Notification {notification.pk}" in text
    assert "pending again" in text


def test_retry_by_the_button_writes_an_audit_event_naming_the_admin(broker_says):
    admin_user = staff_user(VIEW, STEER)
    client = signed_in(admin_user)
    notification = NotificationFactory(status=Status.FAILED)

    client.post(f"{URL}{notification.pk}/retry/")

    event = AuditEvent.objects.get(object_type="notification", object_id=notification.pk)
    assert (event.actor, event.action) == (admin_user, "notification.retried")


def test_the_success_message_shows_on_the_dashboard_after_the_redirect(staff, broker_says):
    notification = NotificationFactory(status=Status.FAILED)

    response = staff.post(f"{URL}{notification.pk}/retry/", follow=True)

    assert response.status_code == 200
    assert (
        f"Notification {notification.pk} (Booking Confirmed, sms) is pending again"
        in response.content.decode()
    )


@pytest.mark.parametrize("status", [Status.PENDING, Status.SENT, Status.DELIVERED])
def test_retrying_a_message_that_did_not_fail_shows_an_error_and_changes_nothing(staff, broker_says, status):
    notification = NotificationFactory(status=status, attempts=2)

    response = staff.post(f"{URL}{notification.pk}/retry/")

    assert response.status_code == 302
    [(level, text)] = flashed(response)
    assert level == "error"
    assert f"A {status} notification cannot be retried" in text
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (status, 2)
    assert not AuditEvent.objects.filter(object_type="notification").exists()


def test_retrying_twice_shows_an_error_the_second_time(staff, broker_says):
    notification = NotificationFactory(status=Status.FAILED)
    staff.post(f"{URL}{notification.pk}/retry/")

    response = staff.post(f"{URL}{notification.pk}/retry/")

    level, text = flashed(response)[-1]
    assert level == "error"
    assert "A pending notification cannot be retried" in text


def test_cancel_stops_a_pending_message(staff, broker_says):
    notification = NotificationFactory()

    response = staff.post(f"{URL}{notification.pk}/cancel/")

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == Status.CANCELLED
    [(level, text)] = flashed(response)
    assert level == "success"
    assert "is cancelled" in text
    assert AuditEvent.objects.get(object_id=notification.pk).action == "notification.cancelled"


def test_cancelling_a_sent_message_shows_an_error_and_changes_nothing(staff, broker_says):
    notification = NotificationFactory(status=Status.SENT)

    response = staff.post(f"{URL}{notification.pk}/cancel/")

    [(level, _text)] = flashed(response)
    assert level == "error"
    notification.refresh_from_db()
    assert notification.status == Status.SENT


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_get_on_a_button_url_is_refused(staff, broker_says, action):
    notification = NotificationFactory(status=Status.FAILED)

    response = staff.get(f"{URL}{notification.pk}/{action}/")

    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


@pytest.mark.parametrize("pk", [999999, 10**30])
@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_an_unknown_notification_is_an_error_message_not_a_500(staff, broker_says, action, pk):
    response = staff.post(f"{URL}{pk}/{action}/")

    assert response.status_code == 302
    [(level, text)] = flashed(response)
    assert level == "error"
    assert "No such notification" in text


def test_the_buttons_need_the_csrf_token(broker_says):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(VIEW, STEER))
    notification = NotificationFactory(status=Status.FAILED)

    response = client.post(f"{URL}{notification.pk}/retry/")

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


@pytest.mark.parametrize(
    "user",
    [lambda: staff_user(), lambda: AdminFactory()],
    ids=["staff without permissions", "API admin without permissions"],
)
def test_the_page_needs_the_permission_to_view_notifications(broker_says, user):
    response = signed_in(user()).get(URL)

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")  # a page, not the API's JSON


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_a_staff_user_without_permissions_cannot_press_the_buttons(broker_says, action):
    notification = NotificationFactory(status=Status.FAILED if action == "retry" else Status.PENDING)
    before = notification.status

    response = signed_in(staff_user()).post(f"{URL}{notification.pk}/{action}/")

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.status == before
    assert not AuditEvent.objects.filter(object_type="notification").exists()


def test_who_may_only_view_the_queue_sees_no_buttons(broker_says):
    failed = NotificationFactory(status=Status.FAILED)
    waiting = NotificationFactory(send_at=timezone.now() - dt.timedelta(minutes=3))

    html = page(signed_in(staff_user(VIEW)))

    assert f"/admin/queue/{failed.pk}/retry/" not in html
    assert f"/admin/queue/{waiting.pk}/cancel/" not in html
    assert 'value="Retry"' not in html
    assert 'value="Cancel"' not in html


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_who_may_only_view_the_queue_cannot_steer_it(broker_says, action):
    notification = NotificationFactory(status=Status.FAILED if action == "retry" else Status.PENDING)
    before = notification.status

    response = signed_in(staff_user(VIEW)).post(f"{URL}{notification.pk}/{action}/")

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.status == before
    assert not AuditEvent.objects.filter(object_type="notification").exists()


def test_a_superuser_may_see_and_steer_the_queue(broker_says):
    failed = NotificationFactory(status=Status.FAILED)
    client = signed_in(User.objects.create_superuser(email="root@clinic.example", password="x" * 12))

    assert f'action="/admin/queue/{failed.pk}/retry/"' in page(client)
    assert client.post(f"{URL}{failed.pk}/retry/").status_code == 302
    failed.refresh_from_db()
    assert failed.status == Status.PENDING


def test_the_admin_index_links_to_the_dashboard_only_for_who_may_see_it():
    html = signed_in(staff_user()).get("/admin/").content.decode()

    assert f'href="{URL}"' not in html


def test_the_page_runs_a_bounded_number_of_queries(staff, broker_says, django_assert_max_num_queries):
    for _ in range(15):
        NotificationFactory(send_at=timezone.now() - dt.timedelta(minutes=5), last_error="slow")
        NotificationFactory(status=Status.FAILED, last_error="boom")
        NotificationFactory(status=Status.SENT, sent_at=timezone.now() - dt.timedelta(minutes=30))

    # The session and its user, the stats' four, the hourly series' two, the three lists, the
    # waitlist's counts and latest offers, and the admin's permission check for a staff user who
    # is not a superuser (two).
    with django_assert_max_num_queries(15):
        page(staff)


def test_the_page_renders_when_the_broker_is_dead(staff):
    with celery_broker(DEAD_BROKER):
        html = page(staff)

    assert "unknown: the broker does not answer" in html
    assert "no worker answers" in html


def test_the_admin_index_links_to_the_dashboard_above_the_app_list():
    client = Client()
    client.force_login(User.objects.create_superuser(email="root@clinic.example", password="x"))

    response = client.get("/admin/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{URL}"' in html
    assert html.index(f'href="{URL}"') < html.index('href="/admin/notifications/notification/"')


def test_the_page_speaks_the_operators_language(staff):
    response = staff.get(URL, headers={"accept-language": "es"})
    html = response.content.decode()
    assert response.headers["Content-Language"] == "es"
    assert "Cola de recordatorios" in html and "Mensajes vencidos más antiguos" in html
    assert "Reminder queue" not in html


def test_the_dashboard_shows_the_waitlist_and_the_latest_offers(staff, broker_says):
    from scheduling.models import Offer
    from scheduling.services import bookings
    from tests.factories import BookingFactory, WaitlistEntryFactory

    WaitlistEntryFactory()
    WaitlistEntryFactory()
    booking = BookingFactory()
    bookings.booking_cancel(booking=booking, by=booking.patient.user)  # offered to the first entry
    offer = Offer.objects.get()

    html = page(staff)

    assert "1 waiting, 1 holding an offer." in html
    assert f"/admin/scheduling/offer/{offer.pk}/change/" in html
