"""Fixtures shared by the suite, and the rule for tests that need real services.

Tests marked `postgres` or `redis` run against the real servers named by DATABASE_URL and
REDIS_URL. Without them they skip, saying why; with CI=true they fail instead, so CI proves
everything.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from rest_framework.test import APIClient

from tests.factories import AdminFactory, PatientFactory, SpecialistFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _redis_url_of_this_process() -> str:
    """REDIS_URL, or under pytest-xdist a Redis database of this worker's own (gw0 the one
    named, gw1 the one below it, ...), as each worker has a test database of its own: tests
    empty their Redis database and count what is in it."""
    url = os.environ.get("REDIS_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    parts = urlsplit(url)
    database = (int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))) % 16  # Redis has 16
    own = urlunsplit(parts._replace(path=f"/{database}"))
    os.environ["REDIS_URL"] = own  # for the tests that read it, and the processes they start
    return own


REDIS_URL = _redis_url_of_this_process()


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


def redis_available() -> bool:
    if not REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic")
    if item.get_closest_marker("redis") and not redis_available():
        _missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _settings_for_tests(settings, monkeypatch):
    """Fast password hashing, and throttles loose enough for a test to make many requests
    (DRF reads the rates once at import, so they are patched on the throttle class)."""
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The pace between SMS has tests of its own (tests/notifications/test_ratelimit.py).
    settings.SMS_RATE_LIMIT = "off"
    # Quiet hours move reminders by the wall clock of the day the suite runs: their tests pin
    # the clock and turn them on (tests/notifications/test_quiet.py, test_writing.py).
    settings.QUIET_HOURS = None
    cache.clear()
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {scope: "10000/s" for scope in ("anon", "user", "auth", "account", "register")},
    )


def token_for(user) -> str:
    """A new API token for `user`: its key. It lasts ten years, so a test that travels in time
    keeps its signed-in clients (tests of expiry sign in through `auth/token/`)."""
    import datetime as dt

    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=dt.timedelta(days=3650))[1]


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def specialist(db):
    return SpecialistFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def patient_client(patient) -> APIClient:
    return client_for(patient.user)


@pytest.fixture
def specialist_client(specialist) -> APIClient:
    return client_for(specialist.user)


@pytest.fixture
def admin_client(admin_user) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def twilio(settings, monkeypatch):
    """The real Twilio backend and SDK, with Twilio itself replaced at its HTTP boundary: the
    returned fake records every request the SDK makes and answers as Twilio would."""
    from notifications.backends.twilio import TwilioSmsBackend
    from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.PUBLIC_BASE_URL = "https://visits.neuroclinic.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fake = FakeTwilio()
    monkeypatch.setattr(TwilioSmsBackend, "http_client", fake)
    return fake


@pytest.fixture
def broker():
    """The real Redis (REDIS_URL), empty, with this process's Celery app publishing to it."""
    import redis

    from tests.integration.processes import celery_broker

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    with celery_broker(REDIS_URL):
        yield client
    client.flushdb()
    client.close()


@pytest.fixture
def broker_says(monkeypatch):
    """The broker's part of the queue stats pinned, for tests of the rest (the broker's own
    answers are tested against real Redis in tests/notifications/test_stats.py)."""
    from notifications import selectors

    monkeypatch.setattr(selectors, "broker_queue_depth", lambda: 7)
    monkeypatch.setattr(selectors, "broker_workers", lambda: ["worker@clinic-1"])


@pytest.fixture
def settings_from_env():
    """`config.settings` read afresh under the given environment variables (and only those of
    this call): what a process started with them would configure. The module is read again as
    it was afterwards."""
    import importlib

    import config.settings

    environment = pytest.MonkeyPatch()

    def read(**env: str) -> Any:
        environment.undo()
        for name, value in env.items():
            environment.setenv(name, value)
        return importlib.reload(config.settings)

    yield read
    environment.undo()
    importlib.reload(config.settings)
