"""The sign-in lockout (django-axes): five failures for one account from one address lock that
pair out for fifteen minutes, in the Django admin and the API alike."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.contract import assert_error
from tests.factories import PASSWORD, AdminFactory, PatientFactory

pytestmark = pytest.mark.django_db
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"


def admin_login(client: Client, email: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_the_admin_login_locks_an_account_and_address_out_after_five_failures():
    admin = AdminFactory()
    client = Client()
    # The email counts however it is spelled.
    failures = [
        admin_login(client, spelling, "wrong").status_code
        for spelling in [admin.email] * 3 + [admin.email.upper()] * 2
    ]
    assert failures == [200, 200, 200, 200, 429]
    assert admin_login(client, admin.email, PASSWORD).status_code == 429
    # The same account from another address, and another account from this one, still sign in.
    assert admin_login(Client(), admin.email, PASSWORD, address="198.51.100.4").status_code == 302
    assert admin_login(Client(), AdminFactory().email, PASSWORD).status_code == 302


def test_the_lockout_ends_after_fifteen_minutes():
    admin = AdminFactory()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            admin_login(Client(), admin.email, "wrong")
        clock.shift(dt.timedelta(minutes=14))
        assert admin_login(Client(), admin.email, PASSWORD).status_code == 429
        clock.shift(dt.timedelta(minutes=16))
        assert admin_login(Client(), admin.email, PASSWORD).status_code == 302


def test_under_the_api_a_lockout_answers_429_throttled_in_the_error_shape():
    patient = PatientFactory()
    client = APIClient()

    def token(password: str, address: str = "127.0.0.1"):
        body = {"email": patient.user.email, "password": password}
        return client.post(TOKEN, body, format="json", REMOTE_ADDR=address)

    assert [token("wrong").status_code for _ in range(4)] == [400] * 4
    locked = token("wrong")
    assert assert_error(locked, 429)["code"] == "throttled"
    assert int(locked["Retry-After"]) == 15 * 60
    assert assert_error(token(PASSWORD), 429)["code"] == "throttled"
    assert token(PASSWORD, address="198.51.100.4").status_code == 200


def test_a_sign_in_without_a_request_still_works():
    """Django's test client's login() calls authenticate() without a request: no address to
    count, so no lockout, but the account signs in."""
    patient = PatientFactory()
    assert Client().login(username=patient.user.email, password=PASSWORD)
    assert not Client().login(username=patient.user.email, password="wrong")


def test_an_api_sign_in_clears_the_failures_before_it_as_an_admin_sign_in_does():
    patient = PatientFactory()
    client = APIClient()

    def token(password: str):
        return client.post(TOKEN, {"email": patient.user.email, "password": password}, format="json")

    assert [token("wrong").status_code for _ in range(4)] == [400] * 4
    assert token(PASSWORD).status_code == 200
    # Four more mistakes after a good sign-in are four, not eight: no lockout yet.
    assert [token("wrong").status_code for _ in range(4)] == [400] * 4
    assert token(PASSWORD).status_code == 200
