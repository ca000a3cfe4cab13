"""Who is an API admin: `role = admin` or a superuser, never a user only because they are staff.

A staff account is made in the Django admin for someone who watches the queue there; it gets
what Django's permissions give it on those pages, and through the API no more than its role.
"""

from __future__ import annotations

import pytest

from clinic.models import User
from core.permissions import is_admin
from tests.api.contract import assert_error
from tests.conftest import client_for
from tests.factories import AdminFactory, BookingFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    """A staff user with no permission and no role but the default one, as the Django admin's
    "Add user" makes them."""
    return client_for(UserFactory(is_staff=True))


def test_a_staff_user_is_not_an_api_admin():
    assert not is_admin(UserFactory(is_staff=True))
    assert not is_admin(UserFactory(is_staff=True, role=User.Role.SPECIALIST))


def test_the_admin_role_and_a_superuser_are_api_admins():
    assert is_admin(AdminFactory(is_staff=False))
    assert is_admin(User.objects.create_superuser(email="root@clinic.example", password="x" * 12))
    assert is_admin(UserFactory(is_superuser=True))


def test_a_staff_user_reads_no_one_elses_bookings(staff_client):
    BookingFactory()

    response = staff_client.get("/api/v1/bookings/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_staff_user_cannot_read_a_booking_with_its_reason(staff_client):
    booking = BookingFactory(reason="Migraines since the accident")

    response = staff_client.get(f"/api/v1/bookings/{booking.pk}/")

    assert assert_error(response, 404)["code"] == "not_found"
    assert b"Migraines" not in response.content


@pytest.mark.parametrize("url", ["/api/v1/admin/audit/", "/api/v1/admin/notifications/"])
def test_a_staff_user_is_refused_the_admin_endpoints(staff_client, url):
    assert assert_error(staff_client.get(url), 403)["code"] == "permission_denied"


def test_a_staff_user_cannot_change_a_specialist(staff_client):
    specialist = SpecialistFactory(bio="Headache medicine")

    response = staff_client.patch(f"/api/v1/specialists/{specialist.pk}/", {"bio": "changed"}, format="json")

    assert assert_error(response, 403)["code"] == "permission_denied"
    specialist.refresh_from_db()
    assert specialist.bio == "Headache medicine"


def test_a_staff_user_does_not_see_a_specialists_private_fields(staff_client):
    specialist = SpecialistFactory()

    body = staff_client.get(f"/api/v1/specialists/{specialist.pk}/").json()

    assert body["email"] is None
    assert body["licenses"] is None


def test_a_staff_user_cannot_onboard_a_specialist(staff_client):
    response = staff_client.post(
        "/api/v1/specialists/",
        {
            "email": "new@clinic.example",
            "password": "a-long-enough-passphrase",
            "first_name": "Ana",
            "last_name": "Diaz",
            "timezone": "America/New_York",
        },
        format="json",
    )

    assert assert_error(response, 403)["code"] == "permission_denied"
    assert not User.objects.filter(email="new@clinic.example").exists()
