"""SMS_RATE_LIMIT holds for the whole deployment: two real workers on the real Redis broker
together send no faster than the limit, each message once."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from tests.integration.processes import TIMED_FAKE
from tests.integration.test_pipeline import confirmation, dispatch, sms_only_booking, wait_for_status

Status = Notification.Status
RATE = 4  # a second
MESSAGES = 13


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_workers_together_keep_to_the_rate_limit(pipeline):
    workers = [
        pipeline.start_worker(f"worker{i}", SMS_BACKEND=TIMED_FAKE, SMS_RATE_LIMIT=f"{RATE}/s")
        for i in range(2)
    ]
    for worker in workers:
        worker.wait_ready()
    rows = [confirmation(sms_only_booking()) for _ in range(MESSAGES)]

    dispatch()

    for row in rows:
        wait_for_status(row, Status.SENT)
    sends = sorted(pipeline.twilio_send_times(), key=lambda send: send["at"])
    assert sorted(send["sid"] for send in sends) == sorted(row.provider_id for row in rows)
    assert all(row.attempts == 1 for row in rows)
    assert len({send["pid"] for send in sends}) == 2  # both workers sent
    at = [send["at"] for send in sends]
    # Turns are 1/RATE apart; a send is never before its turn, but may be after it (a worker's
    # first send opens its database connection): margins for that, not for sending early. Each
    # worker alone at RATE/s (Celery's rate_limit) sent all of them in about half the time,
    # RATE * 2 in a second.
    assert at[-1] - at[0] >= (MESSAGES - 1) / RATE - 0.5
    assert max(sum(1 for t in at if start <= t < start + 1) for start in at) <= RATE + 1
