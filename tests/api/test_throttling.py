"""Rate limits that hold: counted by the real client address, per account as well as per
address, in the cache every process shares, and on the password endpoints whatever
THROTTLE_RATES turns off."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.contract import assert_error
from tests.conftest import REDIS_URL
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
LOOSE = {scope: "10000/min" for scope in ("anon", "user", "auth", "account", "register")}


@pytest.fixture
def rates(monkeypatch):
    """Sets the rates of the given scopes, the others loose (DRF reads them once at import)."""

    def set_rates(**scoped: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**LOOSE, **scoped})

    return set_rates


def wrong_login(client: APIClient, email: str, **headers: str):
    return client.post(TOKEN, {"email": email, "password": "wrong"}, format="json", **headers)


def test_wrong_logins_each_with_a_new_forwarded_address_are_throttled(rates):
    rates(auth="20/min")
    client = APIClient()
    statuses = [
        wrong_login(client, f"guess{n}@example.com", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(24)
    ]
    assert statuses == [400] * 20 + [429] * 4


def test_behind_a_trusted_proxy_the_forwarded_address_counts(rates, settings):
    settings.TRUSTED_PROXIES = 1
    rates(auth="2/min")
    client = APIClient()
    for n in range(2):
        assert (
            wrong_login(client, f"a{n}@example.com", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 400
        )
    # A client writing its own X-Forwarded-For is still the address the proxy appended.
    spoofed = wrong_login(client, "b@example.com", HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7")
    assert assert_error(spoofed, 429)["code"] == "throttled"
    other = wrong_login(client, "c@example.com", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 400


def test_logins_are_limited_per_account_whatever_the_address(rates):
    rates(account="3/hour")
    patient = PatientFactory()
    client = APIClient()
    email = patient.user.email
    for n, spelling in enumerate([email, email.upper(), f"  {email} "]):
        assert wrong_login(client, spelling, REMOTE_ADDR=f"198.51.100.{n}").status_code == 400
    refused = wrong_login(client, email, REMOTE_ADDR="203.0.113.50")
    assert assert_error(refused, 429)["code"] == "throttled"
    assert "Retry-After" in refused
    # Another account, and an account that does not exist, count on their own.
    assert wrong_login(client, PatientFactory().user.email, REMOTE_ADDR="203.0.113.50").status_code == 400
    assert wrong_login(client, "nobody@example.com", REMOTE_ADDR="203.0.113.50").status_code == 400


def test_registration_is_rate_limited_per_address(rates):
    rates(register="2/hour")
    client = APIClient()
    for _ in range(2):
        assert client.post(REGISTER, {"email": "x"}, format="json").status_code == 400
    refused = client.post(REGISTER, {"email": "x"}, format="json")
    assert assert_error(refused, 429)["code"] == "throttled"
    assert client.post(REGISTER, {"email": "x"}, format="json", REMOTE_ADDR="198.51.100.9").status_code == 400


def test_throttle_rates_off_keeps_the_login_and_registration_limits(settings_from_env, monkeypatch):
    off = settings_from_env(THROTTLE_RATES="off").REST_FRAMEWORK
    assert off["DEFAULT_THROTTLE_CLASSES"] == ["core.api.throttling.ScopedRateThrottle"]
    # This process's views were built with the general throttles: without a rate they pass.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None, **off["DEFAULT_THROTTLE_RATES"]}
    )
    client = APIClient()
    logins = [wrong_login(client, f"guess{n}@example.com").status_code for n in range(21)]
    assert logins == [400] * 20 + [429]
    registrations = [
        client.post(REGISTER, {}, format="json", REMOTE_ADDR="198.51.100.9").status_code for _ in range(21)
    ]
    assert registrations == [400] * 20 + [429]


@pytest.mark.redis
def test_two_processes_with_the_same_cache_url_share_their_counters(settings_from_env, rates, monkeypatch):
    from django.core.cache import CacheHandler

    rates(auth="2/min")
    caches = settings_from_env(CACHE_URL=REDIS_URL).CACHES
    first, second = CacheHandler(caches)["default"], CacheHandler(caches)["default"]
    first.clear()
    try:
        client = APIClient()
        monkeypatch.setattr(SimpleRateThrottle, "cache", first)
        assert [wrong_login(client, f"a{n}@example.com").status_code for n in range(2)] == [400, 400]
        monkeypatch.setattr(SimpleRateThrottle, "cache", second)
        assert wrong_login(client, "b@example.com").status_code == 429
    finally:
        first.clear()


def test_an_unreachable_cache_lets_requests_through_instead_of_failing_them(rates, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    rates(auth="2/min")
    # Nothing listens on port 1: every counter read fails at once.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "cache",
        RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}}),
    )
    client = APIClient()
    assert [wrong_login(client, f"a{n}@example.com").status_code for n in range(3)] == [400] * 3
    assert client.get("/api/v1/specialties/").status_code == 200
