"""Two beat processes by mistake: the dispatcher's claim (SKIP LOCKED) keeps each due message
claimed once and sent once, however many beats publish the dispatch task."""

from __future__ import annotations

import ast

import pytest

from notifications.models import Notification
from tests.integration.processes import wait_for
from tests.integration.test_pipeline import confirmation, sms_only_booking, wait_for_status

Status = Notification.Status
MESSAGES = 6


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_beats_send_each_due_message_once_and_claim_it_once(pipeline):
    rows = [confirmation(sms_only_booking()) for _ in range(MESSAGES)]
    # Two workers, so that dispatch tasks of the two beats can run at the same instant.
    workers = [pipeline.start_worker(f"worker{i}") for i in range(2)]
    beats = [pipeline.start_beat(f"beat{i}") for i in range(2)]

    for row in rows:
        wait_for_status(row, Status.SENT)

    def dispatch_results() -> list[dict[str, int]]:
        return [
            ast.literal_eval(result)
            for worker in workers
            for result in worker.task_results("notification_dispatch_task")
        ]

    def both_beats_ticked_twice() -> bool:
        return all(beat.output().count("Sending due task dispatch-notifications") >= 2 for beat in beats)

    wait_for(both_beats_ticked_twice, "both beats to publish the dispatch task twice")
    wait_for(lambda: len(dispatch_results()) >= 4, "the dispatch tasks to run")
    creates = pipeline.twilio_creates()
    assert len(creates) == MESSAGES
    assert len({create["data"]["Body"] for create in creates}) == MESSAGES  # each its own link
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.SENT, 1)
    # Every run of the dispatcher, from either beat, together claimed each row once.
    assert sum(result["claimed"] + result["reclaimed"] for result in dispatch_results()) == MESSAGES
