"""Worker-side code of the notifications benchmark: the floor task and a fast SMS backend.

The worker imports this module (`celery -A config worker -I bench.noop`). Both pieces count in
the broker's own Redis database (the benchmark flushes it before the run), so the benchmark can
tell when the last message ran and check that every row was sent exactly once:

- `noop_task`: the floor of the worker, a task that does nothing but count itself, with the
  same options as the send task (`acks_late`, `ignore_result`) and no rate limit;
- `CountingSmsBackend`: accepts every message at once (no network, no provider), counts it and
  returns a unique provider id. It keeps nothing in memory, unlike `LocmemSmsBackend`, whose
  outbox grows with every message a worker process sends.
"""

from __future__ import annotations

import time

import redis
from celery import shared_task
from django.conf import settings

from notifications.backends.sms import SmsBackend

NOOP_RAN = "bench:noop:ran"
NOOP_DONE_AT = "bench:noop:done_at"
SMS_SENT = "bench:sms:sent"

_client: redis.Redis | None = None


def counter() -> redis.Redis:
    """One client per process, made on first use: after the prefork pool has forked."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5)
    return _client


@shared_task(acks_late=True, ignore_result=True)
def noop_task(expected: int) -> None:
    # The task that brings the count to `expected` ran last: it records the instant, so the
    # benchmark's figure does not depend on how often it polls.
    if counter().incr(NOOP_RAN) == expected:
        counter().set(NOOP_DONE_AT, repr(time.time()))


class CountingSmsBackend(SmsBackend):
    """An SMS provider that accepts every message at once: one Redis INCR per message."""

    def send(self, *, to: str, body: str, status_callback: str = "") -> str:
        return f"bench-{counter().incr(SMS_SENT)}"
