"""The stats an admin watches, against the real Redis queue, real workers and PostgreSQL: a
stopped worker makes the lag climb and the depth count what waits; its return drains the backlog.

Time passes by travelling this process's clock (the stats read `now` here); the worker's own
clock is real, and only the work it does matters to it.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from tests.conftest import client_for
from tests.factories import AdminFactory, PatientFactory, SlotFactory
from tests.integration.processes import wait_for
from tests.integration.test_pipeline import dispatch

Status = Notification.Status
STATS = "/api/v1/admin/notifications/stats/"


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {status: n for status, n in counts.items() if n}


def sms_bookings(n: int) -> list[int]:
    """n bookings whose only message is a confirmation SMS, due now."""
    ids = []
    for _ in range(n):
        patient = PatientFactory(email_opt_in=False)
        response = client_for(patient.user).post(
            "/api/v1/bookings/", {"slot": SlotFactory().pk}, format="json"
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    return ids


def confirmations(booking_ids: list[int]):
    return Notification.objects.filter(booking_id__in=booking_ids, kind=Notification.Kind.BOOKING_CONFIRMED)


def all_sent(booking_ids: list[int]) -> bool:
    return set(confirmations(booking_ids).values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_stopped_worker_shows_as_lag_and_depth_and_its_return_drains_the_backlog(pipeline):
    admin = client_for(AdminFactory())

    def stats() -> dict:
        response = admin.get(STATS)
        assert response.status_code == 200
        return response.json()

    worker = pipeline.start_worker("stats-worker")
    worker.wait_ready()
    first = sms_bookings(2)
    dispatch()
    wait_for(lambda: all_sent(first), "the first messages to be sent")
    healthy = stats()
    assert healthy["queue_depth"] == 0
    assert healthy["oldest_overdue_seconds"] is None
    assert [name.split("@")[0] for name in healthy["workers"]] == ["stats-worker"]
    assert healthy["sent_last_hour"] == 2
    # Each booking also has its two reminders, pending for their time.
    assert nonzero(healthy["counts"]["sms"]) == {"sent": 2, "pending": 4}

    worker.kill()
    backlog = sms_bookings(3)
    assert dispatch().claimed == 3  # queued, and waiting in Redis for a worker
    stopped = stats()
    assert stopped["workers"] == []
    assert stopped["queue_depth"] == 3
    assert nonzero(stopped["counts"]["sms"]) == {"sent": 2, "queued": 3, "pending": 10}
    assert stopped["oldest_overdue_seconds"] >= 0
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        later = stats()
    assert later["oldest_overdue_seconds"] >= stopped["oldest_overdue_seconds"] + 300  # the lag climbs
    assert later["queue_depth"] == 3

    pipeline.start_worker("stats-worker").wait_ready()
    wait_for(lambda: all_sent(backlog), "the backlog to drain")
    drained = stats()
    assert drained["queue_depth"] == 0
    assert drained["oldest_overdue_seconds"] is None
    assert drained["sent_last_hour"] == 5
    assert nonzero(drained["counts"]["sms"]) == {"sent": 5, "pending": 10}
    assert [name.split("@")[0] for name in drained["workers"]] == ["stats-worker"]
