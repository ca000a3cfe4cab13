"""SMS_RATE_LIMIT: one pace for the whole deployment, per sender (a number or Messaging Service).

Twilio takes about one message a second from a long code and queues or refuses the rest;
Celery's own `rate_limit` counts per worker process, so every worker added sent faster. Here
each send takes a turn from one schedule per sender, shared by every worker on every host:

- a Redis broker (production): the schedule is a key in that Redis, moved by one Lua script,
  atomic, on Redis's own clock (the hosts' clocks may disagree);
- the embedded filesystem broker (one machine): a file under var/, taken under an exclusive
  lock, so the worker's pool children share it too.

The schedule is a GCRA ("generic cell rate algorithm"): the key holds the instant the sender's
next free turn begins. A caller takes the turn at max(now, that instant) and moves it one
interval on, so turns are spaced by the interval however many callers ask at once, and each
caller learns how long to wait for its own turn (no herd of callers asking again and again).
A turn further off than `max_wait` is not taken: the caller is told to come back later.

`SMS_RATE_LIMIT` reads like Celery's rate limits (`1/s`, `30/m`, `3600/h`, or a bare number a
second); `off` or `0` sends as fast as the workers go.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured

_PER = {"s": 1, "m": 60, "h": 3600}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*$")


@dataclass(frozen=True)
class Turn:
    wait: float  # seconds from now until the turn
    taken: bool  # False: the turn was too far off and was not taken; ask again after `wait`


NOW = Turn(wait=0.0, taken=True)


def interval(rate: str) -> float:
    """Seconds between two messages at `rate`; 0 for no limit."""
    if rate.strip().lower() in ("", "off", "0"):
        return 0.0
    match = _RATE.match(rate)
    if match is None or float(match[1]) == 0:
        raise ImproperlyConfigured(f"SMS_RATE_LIMIT={rate!r}: expected e.g. 1/s, 30/m, 3600/h or off.")
    return _PER[match[2] or "s"] / float(match[1])


def rate_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A system check: a rate that makes no sense is refused at start-up (`migrate`, `check`),
    not by every send task, which would leave every SMS queued."""
    try:
        interval(settings.SMS_RATE_LIMIT)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="notifications.E002")]
    return []


def turn_take(*, sender: str, max_wait: float) -> Turn:
    """Take `sender`'s next turn under SMS_RATE_LIMIT, unless it is more than `max_wait`
    seconds off."""
    every = interval(settings.SMS_RATE_LIMIT)
    if not every:
        return NOW
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return _redis_turn(sender, every, max_wait)
    return _file_turn(sender, every, max_wait)


# KEYS[1]: the sender's next free turn, in microseconds of Redis's clock. ARGV: the interval and
# the longest wait, in microseconds. Returns {taken (0 or 1), wait in microseconds}. The key
# expires once its turn has passed: an idle sender costs nothing.
_TAKE_TURN_LUA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local turn = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local wait = turn - now
if wait > tonumber(ARGV[2]) then
  return {0, wait}
end
local after = turn + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return {1, wait}
"""


@cache
def _redis_script(url: str) -> redis.commands.core.Script:
    """One client per process and broker URL, with the broker's short timeouts."""
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
    return client.register_script(_TAKE_TURN_LUA)


def _redis_turn(sender: str, every: float, max_wait: float) -> Turn:
    script = _redis_script(settings.CELERY_BROKER_URL)
    taken, wait = script(keys=[f"sms-rate:{sender}"], args=[round(every * 1e6), round(max_wait * 1e6)])
    return Turn(wait=int(wait) / 1e6, taken=bool(taken))


def _file_turn(sender: str, every: float, max_wait: float) -> Turn:
    """The same schedule in a file, for the processes of one machine (the embedded run)."""
    path = Path(settings.VAR_DIR) / "sms-rate" / hashlib.sha256(sender.encode()).hexdigest()[:16]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as schedule:
        fcntl.flock(schedule, fcntl.LOCK_EX)  # released when the file closes
        schedule.seek(0)
        text = schedule.read().strip()
        now = time.time()
        turn = max(float(text) if text else 0.0, now)
        if turn - now > max_wait:
            return Turn(wait=turn - now, taken=False)
        schedule.seek(0)
        schedule.truncate()
        schedule.write(repr(turn + every))
        schedule.flush()
    return Turn(wait=turn - now, taken=True)
