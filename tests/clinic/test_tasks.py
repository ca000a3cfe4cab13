"""Clinic's periodic work: expired API tokens are deleted, on beat's schedule."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from knox.models import AuthToken

from clinic.tasks import tokens_purge_expired_task
from clinic.tokens import token_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def test_the_purge_deletes_the_expired_tokens_and_keeps_the_others():
    with time_machine.travel(START, tick=False):
        token_create(user=PatientFactory().user)
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        fresh = token_create(user=PatientFactory().user).token

    with time_machine.travel(START + dt.timedelta(hours=720, minutes=30), tick=False):
        assert tokens_purge_expired_task() == 1

    assert [t.token_key for t in AuthToken.objects.all()] == [fresh[:15]]


def test_beat_runs_the_purge_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-tokens"]
    assert (entry["task"], entry["schedule"]) == (tokens_purge_expired_task.name, 3600)
