"""Operations: health probes, the admin site, createsuperuser from the environment."""

import copy
import socket
import time

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.urls import reverse

from api import health
from clinic.models import User
from config.celery import app as celery_app
from tests.conftest import REDIS_URL
from tests.factories import BookingFactory, RuleFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok(anon):
    assert anon.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
def test_a_probe_answer_is_never_cached(anon, probe):
    # A proxy's stored "ok" would keep a dead process in the pool.
    response = anon.get(probe)
    assert response.status_code in (200, 503)
    assert "no-store" in response.get("Cache-Control", "")


def test_healthz_touches_neither_the_database_nor_the_broker(anon, monkeypatch, django_assert_num_queries):
    def no_broker(*args, **kwargs):
        raise AssertionError("healthz reached for the broker")

    monkeypatch.setattr(celery_app, "connection_for_write", no_broker)
    with django_assert_num_queries(0):
        response = anon.get("/healthz")
    assert response.status_code == 200


@pytest.mark.postgres
@pytest.mark.redis
def test_readyz_answers_ok_with_postgresql_and_redis_up(anon, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", REDIS_URL)
    response = anon.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.fixture
def database_at(monkeypatch):
    """Point the connections made from now on (not this test's own) at 127.0.0.1:`port`."""

    def point(port: int) -> None:
        moved = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
        moved.update(HOST="127.0.0.1", PORT=str(port))
        monkeypatch.setitem(connections.settings, DEFAULT_DB_ALIAS, moved)

    return point


@pytest.mark.postgres
def test_readyz_answers_503_naming_the_database_when_its_port_is_dead(anon, database_at):
    database_at(1)  # nothing listens there: connection refused
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["database"]


@pytest.mark.postgres
def test_readyz_gives_up_on_a_database_that_never_answers_within_its_connect_timeout(anon, database_at):
    with socket.socket() as silent:  # accepts the TCP connection, then never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        database_at(silent.getsockname()[1])
        started = time.monotonic()
        response = anon.get("/readyz")
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["database"]
    assert time.monotonic() - started < health.CONNECT_TIMEOUT + 3


@pytest.mark.postgres
def test_readyz_leaves_no_broken_connection_behind(anon, database_at, monkeypatch):
    database_at(1)
    assert anon.get("/readyz").status_code == 503
    monkeypatch.undo()  # the database is back
    assert anon.get("/readyz").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_readyz_answers_503_naming_the_broker_when_it_is_down(anon, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["broker"]


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@clinic.example")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase")
    call_command("createsuperuser", "--noinput", verbosity=0)
    user = User.objects.get(email="ops@clinic.example")
    assert (user.role, user.is_staff, user.check_password("a-long-passphrase")) == ("admin", True, True)


ADMIN_PAGES = [
    "clinic_user",
    "clinic_patient",
    "clinic_specialist",
    "clinic_statelicense",
    "clinic_specialty",
    "clinic_visittype",
    "scheduling_availabilityrule",
    "scheduling_timeoff",
    "scheduling_slot",
    "scheduling_booking",
    "scheduling_idempotencykey",
    "django_celery_beat_periodictask",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_admin_list_renders_with_search(client, page):
    BookingFactory()
    RuleFactory()
    admin = User.objects.create_superuser(email="root@clinic.example", password="x")
    client.force_login(admin)
    response = client.get(reverse(f"admin:{page}_changelist"), {"q": "doe"})
    assert response.status_code == 200


def test_admin_booking_page_renders(client):
    booking = BookingFactory()
    client.force_login(User.objects.create_superuser(email="root@clinic.example", password="x"))
    assert client.get(reverse("admin:scheduling_booking_change", args=[booking.pk])).status_code == 200
