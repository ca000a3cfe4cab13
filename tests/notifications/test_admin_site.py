"""The Django admin for operators: every page renders, the queue is searchable, bulk retry and
cancel go through the services (state rules, audit trail), a booking shows its messages, and
beat's periodic tasks are there."""

from __future__ import annotations

import pytest
from celery import current_app as celery_app
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_celery_beat.schedulers import DatabaseScheduler

from clinic.models import User
from core.models import AuditEvent
from notifications.models import Notification
from scheduling.models import Booking
from tests.factories import NotificationFactory, PatientFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status
CHANGELIST = "/admin/notifications/notification/"


@pytest.fixture
def operator(client):
    """Logged in as a user made by `createsuperuser`, as an operator is."""
    user = User.objects.create_superuser(email="ops@clinic.example", password="x" * 12)
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_list_renders(client, operator, model):
    NotificationFactory()  # a booking, its patient, specialist and slot too

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code == 200


def test_notifications_are_found_by_the_patients_email_or_phone(client, operator):
    patient = PatientFactory(phone="+13125550199", user__email="finder@example.org")
    mine = NotificationFactory(booking__patient=patient)
    other = NotificationFactory()

    for query in ("finder@example.org", "+13125550199"):
        listed = client.get(CHANGELIST, {"q": query}).context["cl"].result_list
        assert [n.pk for n in listed] == [mine.pk], query
    assert other.pk not in [n.pk for n in client.get(CHANGELIST, {"q": "finder"}).context["cl"].result_list]


def test_the_list_filters_by_status_channel_and_kind(client, operator):
    failed = NotificationFactory(status=Status.FAILED, kind=Notification.Kind.REMINDER, offset=3600)
    NotificationFactory()

    listed = client.get(
        CHANGELIST, {"status__exact": "failed", "channel__exact": "sms", "kind__exact": "reminder"}
    )

    assert [n.pk for n in listed.context["cl"].result_list] == [failed.pk]


def test_the_list_masks_the_recipient(client, operator):
    NotificationFactory(recipient="+12125550123")

    page = client.get(CHANGELIST).content.decode()

    assert "********0123" in page
    assert "+12125550123" not in page


def bulk(client, action: str, *notifications: Notification):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [n.pk for n in notifications]}, follow=True
    )


def test_bulk_retry_moves_failed_messages_back_to_pending_and_refuses_the_others(client, operator):
    failed = NotificationFactory(status=Status.FAILED, attempts=5)
    sent = NotificationFactory(status=Status.SENT)

    response = bulk(client, "retry", failed, sent)

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0)
    assert sent.status == Status.SENT
    shown = [str(m) for m in response.context["messages"]]
    assert "1 notification(s) retried." in shown
    assert (
        f"Not retried: {sent.pk}: A sent notification cannot be retried; only failed or cancelled ones can."
        in shown
    )
    event = AuditEvent.objects.get(object_type="notification")
    assert (event.object_id, event.actor, event.action) == (failed.pk, operator, "notification.retried")


def test_bulk_cancel_cancels_waiting_messages_only(client, operator):
    pending = NotificationFactory()
    queued = NotificationFactory(status=Status.QUEUED)
    failed = NotificationFactory(status=Status.FAILED)

    bulk(client, "cancel", pending, queued, failed)

    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: "cancelled", queued.pk: "cancelled", failed.pk: "failed"}
    assert AuditEvent.objects.filter(action="notification.cancelled").count() == 2


def test_bulk_retry_leaves_the_messages_of_a_cancelled_visit(client, operator):
    reminder = NotificationFactory(
        status=Status.FAILED, kind=Notification.Kind.REMINDER, booking__status=Booking.Status.CANCELLED
    )
    notice = NotificationFactory(
        status=Status.FAILED, kind=Notification.Kind.BOOKING_CANCELLED, booking=reminder.booking
    )

    response = bulk(client, "retry", reminder, notice)

    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {reminder.pk: Status.FAILED, notice.pk: Status.PENDING}
    shown = [str(m) for m in response.context["messages"]]
    assert "1 notification(s) retried." in shown
    assert any(
        text.startswith(f"Not retried: {reminder.pk}: about a visit that is cancelled") for text in shown
    )


def viewer(client) -> User:
    """Staff who may look at the queue in the admin, not steer it."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(user)
    return user


def test_who_may_only_view_notifications_is_offered_no_action(client):
    viewer(client)
    NotificationFactory(status=Status.FAILED)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="retry">' not in html
    assert '<option value="cancel">' not in html


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_who_may_only_view_notifications_cannot_run_an_action(client, action):
    viewer(client)
    notification = NotificationFactory(status=Status.FAILED if action == "retry" else Status.PENDING)
    before = notification.status

    bulk(client, action, notification)

    notification.refresh_from_db()
    assert notification.status == before
    assert not AuditEvent.objects.filter(object_type="notification").exists()


def test_who_may_change_notifications_is_offered_retry_and_cancel(client):
    user = viewer(client)
    user.user_permissions.add(Permission.objects.get(codename="change_notification"))
    failed = NotificationFactory(status=Status.FAILED)

    html = client.get(CHANGELIST).content.decode()
    assert '<option value="retry">' in html
    assert '<option value="cancel">' in html
    bulk(client, "retry", failed)

    failed.refresh_from_db()
    assert failed.status == Status.PENDING


def test_a_notification_cannot_be_edited_by_hand(client, operator):
    notification = NotificationFactory(status=Status.FAILED)
    url = reverse("admin:notifications_notification_change", args=[notification.pk])

    assert client.get(url).status_code == 200  # view only
    response = client.post(url, {"status": "sent"})

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.status == Status.FAILED


def test_a_booking_page_lists_its_notifications(client, operator):
    notification = NotificationFactory(status=Status.FAILED, last_error="Twilio 30003: unreachable")
    NotificationFactory(last_error="not this one")  # another booking's

    page = client.get(reverse("admin:scheduling_booking_change", args=[notification.booking_id]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Twilio 30003: unreachable" in html
    assert "not this one" not in html
    assert reverse("admin:notifications_notification_change", args=[notification.pk]) in html


def test_a_booking_cannot_be_changed_by_hand(client, operator):
    notification = NotificationFactory()
    url = reverse("admin:scheduling_booking_change", args=[notification.booking_id])

    response = client.post(url, {"status": "cancelled"})

    assert response.status_code == 403
    assert Booking.objects.get(pk=notification.booking_id).status == Booking.Status.CONFIRMED


# The scheduler commits and closes connections as beat does: a transactional test.
@pytest.mark.django_db(transaction=True)
def test_beats_periodic_tasks_are_listed(client, operator):
    DatabaseScheduler(app=celery_app).sync()  # what `celery beat` does first: write the schedule

    page = client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()

    assert "dispatch-notifications" in page
    assert "extend-slot-horizon" in page


def test_the_audit_trail_is_listed_and_read_only(client, operator):
    failed = NotificationFactory(status=Status.FAILED)
    bulk(client, "retry", failed)
    event = AuditEvent.objects.get(action="notification.retried")

    page = client.get(reverse("admin:core_auditevent_changelist")).content.decode()

    assert "notification.retried" in page
    response = client.post(reverse("admin:core_auditevent_change", args=[event.pk]), {"action": "x"})
    assert response.status_code == 403


def test_the_change_page_masks_the_recipient_and_the_numbers_in_the_error(client, operator):
    notification = NotificationFactory(
        status=Status.FAILED,
        recipient="+12125550123",
        last_error="The 'To' number +12125550123 is not a valid phone number.",
    )

    for url in (
        reverse("admin:notifications_notification_change", args=[notification.pk]),
        reverse("admin:scheduling_booking_change", args=[notification.booking_id]),
        CHANGELIST,
    ):
        html = client.get(url).content.decode()
        assert "********0123" in html, url
        assert "+12125550123" not in html, url


def test_a_corrected_email_on_the_user_page_readdresses_unsent_emails(client, operator):
    from scheduling.services import bookings

    patient = PatientFactory(user__email="old@example.org")
    booking = bookings.booking_create(
        user=patient.user, slot_id=SlotFactory(specialist__states=["NY"]).pk
    ).booking
    sent = Notification.objects.filter(booking=booking, channel="email", kind="booking_confirmed")
    sent.update(status=Status.SENT)
    user = patient.user
    form = {
        "email": "New@Example.org",
        "role": user.role,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }

    response = client.post(f"/admin/clinic/user/{user.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    emails = set(
        Notification.objects.filter(booking=booking, channel="email").values_list("status", "recipient")
    )
    assert emails == {("sent", "old@example.org"), ("pending", "new@example.org")}
    assert set(
        Notification.objects.filter(booking=booking, channel="sms").values_list("recipient", flat=True)
    ) == {str(patient.phone)}


def test_numbers_that_replied_stop_are_listed_masked(client, operator):
    from notifications.models import SmsOptOut

    SmsOptOut.objects.create(phone="+12125550199")

    page = client.get("/admin/notifications/smsoptout/").content.decode()

    assert "********0199" in page
    assert "+12125550199" not in page
