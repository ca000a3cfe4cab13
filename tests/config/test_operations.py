"""Operations: health probes, the admin site, createsuperuser from the environment."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.models import User
from config.celery import app as celery_app
from tests.conftest import REDIS_URL
from tests.factories import BookingFactory, RuleFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok(anon):
    assert anon.get("/healthz").json() == {"status": "ok"}


@pytest.mark.redis
def test_readyz_answers_ok_with_a_reachable_redis_broker(anon, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", REDIS_URL)
    response = anon.get("/readyz")
    assert response.status_code == 200


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
