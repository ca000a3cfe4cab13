"""`admin/audit/`: the trail, newest first, filtered, for admins only (permissions for every admin
endpoint are in tests/notifications/test_admin_api.py)."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from tests.factories import AdminFactory, BookingFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/admin/audit/"


@pytest.fixture
def trail(admin_user):
    other_admin = AdminFactory()
    booking = BookingFactory()
    made = [
        AuditEvent.objects.create(
            actor=booking.patient.user,
            action="booking.confirmed",
            object_type="booking",
            object_id=booking.pk,
            after={"status": "confirmed"},
        ),
        AuditEvent.objects.create(
            actor=admin_user,
            action="notification.retried",
            object_type="notification",
            object_id=7,
            before={"status": "failed"},
            after={"status": "pending"},
        ),
        AuditEvent.objects.create(
            actor=other_admin,
            action="notification.cancelled",
            object_type="notification",
            object_id=8,
            before={"status": "pending"},
            after={"status": "cancelled"},
        ),
    ]
    return made


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_trail_lists_every_field_newest_first(admin_client, trail):
    body = admin_client.get(URL).json()

    assert [row["id"] for row in body["results"]] == [event.pk for event in reversed(trail)]
    retried = body["results"][1]
    assert set(retried) == {
        "id",
        "actor",
        "action",
        "object_type",
        "object_id",
        "at",
        "before",
        "after",
        "address",
    }
    assert retried["actor"] == trail[1].actor_id
    assert retried["address"] is None  # recorded outside a request
    assert (retried["before"], retried["after"]) == ({"status": "failed"}, {"status": "pending"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=booking.confirmed", [0]),
        ("object_type=notification", [2, 1]),
        ("object_id=8", [2]),
    ],
)
def test_the_trail_filters(admin_client, trail, query, expected):
    assert ids(admin_client.get(f"{URL}?{query}")) == [trail[n].pk for n in expected]


def test_the_trail_filters_by_actor(admin_client, admin_user, trail):
    assert ids(admin_client.get(URL, {"actor": admin_user.pk})) == [trail[1].pk]


def test_a_system_event_has_a_null_actor(admin_client):
    AuditEvent.objects.create(action="notification.skipped", object_type="notification", object_id=1)

    assert admin_client.get(URL).json()["results"][0]["actor"] is None


@pytest.mark.parametrize("query", ["actor=abc", "object_id=-1", f"object_id={10**30}", "action=" + "x" * 41])
def test_a_bad_filter_answers_400(admin_client, query):
    response = admin_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [query.split("=")[0]]


@pytest.mark.parametrize(
    ("proxies", "headers", "address"),
    [
        (0, {"REMOTE_ADDR": "198.51.100.23", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "198.51.100.23"),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "203.0.113.9"),
    ],
)
def test_an_event_carries_the_client_address_of_its_request(
    admin_client, settings, proxies, headers, address
):
    from notifications.models import Notification
    from tests.factories import NotificationFactory

    settings.TRUSTED_PROXIES = proxies
    notification = NotificationFactory(status=Notification.Status.FAILED)
    response = admin_client.post(f"/api/v1/admin/notifications/{notification.pk}/retry/", **headers)
    assert response.status_code == 200, response.content

    event = AuditEvent.objects.get(action="notification.retried", object_id=notification.pk)
    assert event.address == address
    assert admin_client.get(URL).json()["results"][0]["address"] == address
