"""SMS_RATE_LIMIT holds for the whole deployment: two real workers on the real Redis broker
together send no faster than the limit, each message once."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from tests.integration.processes import TIMED_FAKE
from tests.integration.test_pipeline import confirmation, dispatch, sms_only_booking, wait_for_status

Status = Notification.Status
RATE = 4  # a second
MESSAGES = 9


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
    # Each worker alone at RATE/s would have sent them all in about half this time.
    assert at[-1] - at[0] >= (MESSAGES - 1) / RATE * 0.95
    # No second holds more than RATE of them (a margin for a busy machine's timers).
    assert all(later - earlier >= 0.75 for earlier, later in zip(at, at[RATE:], strict=False))
