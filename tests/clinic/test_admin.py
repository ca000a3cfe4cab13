"""The Django admin's users page: staff allowed to change users do not grant power, and do not
touch an admin's account; a superuser does both."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from clinic.models import User
from tests.factories import PASSWORD, AdminFactory, PatientFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db
USERS = "/admin/clinic/user/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def user_manager() -> User:
    """Staff who may view, add, change and delete users, and is not a superuser."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="clinic", codename__endswith="_user")
    )
    return user


def test_staff_who_manage_users_cannot_grant_roles_or_permissions(user_manager):
    patient = UserFactory()

    html = signed_in(user_manager).get(f"{USERS}{patient.pk}/change/").content.decode()

    assert 'name="first_name"' in html  # the page is a form
    for field in ("role", "is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in html, field


def test_staff_who_manage_users_cannot_add_an_admin(user_manager):
    html = signed_in(user_manager).get(f"{USERS}add/").content.decode()

    assert 'name="email"' in html
    assert 'name="role"' not in html


@pytest.mark.parametrize(
    "target",
    [
        AdminFactory,
        lambda: UserFactory(is_superuser=True),
        lambda: SpecialistFactory().user,
        lambda: PatientFactory().user,
    ],
    ids=["admin", "superuser", "specialist", "patient"],
)
def test_staff_who_manage_users_cannot_set_anyones_password(user_manager, target):
    admin_user = target()

    response = signed_in(user_manager).post(
        f"{USERS}{admin_user.pk}/password/",
        {"password1": "the-attackers-passphrase", "password2": "the-attackers-passphrase"},
    )

    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


def test_staff_who_manage_users_cannot_change_or_delete_an_admin(user_manager):
    admin_user = AdminFactory(email="boss@clinic.example")
    client = signed_in(user_manager)

    client.post(f"{USERS}{admin_user.pk}/change/", {"email": "attacker@example.com"})
    client.post(f"{USERS}{admin_user.pk}/delete/", {"post": "yes"})
    client.post(USERS, {"action": "delete_selected", "_selected_action": [admin_user.pk], "post": "yes"})

    admin_user.refresh_from_db()
    assert admin_user.email == "boss@clinic.example"


def test_staff_who_manage_users_cannot_take_a_specialists_login_over(user_manager):
    specialist = SpecialistFactory(user__email="dr@clinic.example")
    client = signed_in(user_manager)

    changed = client.post(f"{USERS}{specialist.user.pk}/change/", {"email": "attacker@example.com"})

    assert changed.status_code == 403

    specialist.user.refresh_from_db()
    assert specialist.user.email == "dr@clinic.example"


def test_a_specialist_deactivated_on_the_users_page_is_no_longer_offered():
    root = User.objects.create_superuser(email="root@clinic.example", password="x" * 12)
    specialist = SpecialistFactory()
    user = specialist.user
    client = signed_in(root)
    form = client.get(f"{USERS}{user.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        is_active="", last_login_0="", last_login_1="", date_joined_0="2026-01-01", date_joined_1="09:00:00"
    )
    (
        data.pop("groups", None),
        data.pop("user_permissions", None),
        data.pop("last_login", None),
        data.pop("date_joined", None),
    )

    response = client.post(f"{USERS}{user.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    specialist.refresh_from_db()
    user.refresh_from_db()
    assert (user.is_active, specialist.is_active) == (False, False)


def test_a_superuser_grants_roles_and_permissions():
    root = User.objects.create_superuser(email="root@clinic.example", password="x" * 12)
    staff = UserFactory(is_staff=True)

    html = signed_in(root).get(f"{USERS}{staff.pk}/change/").content.decode()

    for field in ("role", "is_staff", "is_superuser", "user_permissions"):
        assert f'name="{field}"' in html, field


def test_staff_who_manage_users_add_users_with_the_default_role(user_manager):
    response = signed_in(user_manager).post(
        f"{USERS}add/",
        {
            "email": "new.user@example.org",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    created = User.objects.get(email="new.user@example.org")
    assert (created.role, created.is_staff, created.is_superuser) == (User.Role.PATIENT, False, False)
