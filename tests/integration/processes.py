"""Real Celery workers and beats as subprocesses, on the test database and the real Redis.

The workers run `--pool=solo`: the process that takes a task is the one that runs it, so a
SIGKILL of it is a `kill -9` in the middle of that task (prefork's parent would survive and
requeue the task itself, which is another path), and it starts faster than a pool of children.
Each process leads its own process group, which is killed whole when the test ends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from celery import current_app as celery_app
from django.conf import settings
from django.db import connection

from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
MESSAGING_SERVICE_SID = "MG" + "1" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
STOCK_FAKE = "tests.twilio_fake.FakeTwilioSmsBackend"
SHARED_FAKE = "tests.integration.shared_twilio.SharedFakeTwilioSmsBackend"
TIMED_FAKE = "tests.integration.timed_twilio.TimedFakeTwilioSmsBackend"
# Connection refused at once: a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:1/0"
# What config/settings.py sets for a redis:// broker (this process read the embedded default).
REDIS_TRANSPORT_OPTIONS = {"socket_timeout": 5, "socket_connect_timeout": 3, "visibility_timeout": 3600}
TASK_SUCCEEDED = re.compile(r"Task notifications\.tasks\.(\w+)\[[^\]]+\] succeeded in \S+s: (.*)$", re.M)

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, timeout: float = 30) -> T:
    """Poll until another process has acted; an error naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.1)
    return result


def shared_database_url() -> str:
    """The database pytest-django created, for the processes to share with this one."""
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at `url`. Its connection pools are made on first use
    from the settings read at import, so they are dropped on the way in and out."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options

    def switch(to: str, options: dict[str, Any]) -> None:
        conf.broker_url, conf.broker_transport_options = to, options
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    switch(url, REDIS_TRANSPORT_OPTIONS)
    try:
        yield
    finally:
        switch(*saved)


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *args],
                cwd=log.parent,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def task_results(self, task: str) -> list[str]:
        """The return values (as logged) of each run of `task` this process finished."""
        return [result for name, result in TASK_SUCCEEDED.findall(self.output()) if name == task]

    def wait_ready(self) -> None:
        wait_for(lambda: " ready." in self.output(), f"{self.name} to be ready")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no acknowledgement, like `kill -9`."""
        with suppress(ProcessLookupError):  # already gone
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


class Pipeline:
    """Workers and beats of one test, the fake Twilio's files, and what it was sent."""

    def __init__(self, directory: Path, *, database_url: str, broker_url: str) -> None:
        self.dir = directory
        self.twilio_log = directory / "twilio-requests.jsonl"
        self.twilio_store = directory / "twilio-messages.json"
        self.twilio_times = directory / "twilio-times.jsonl"
        self.hang_marker = directory / "hung"
        self.processes: list[Process] = []
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "SMS_BACKEND": STOCK_FAKE,
            "FAKE_TWILIO_LOG": str(self.twilio_log),
            "FAKE_TWILIO_STORE": str(self.twilio_store),
            "FAKE_TWILIO_TIMES": str(self.twilio_times),
            "FAKE_TWILIO_HANG_MARKER": str(self.hang_marker),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_MESSAGING_SERVICE_SID": MESSAGING_SERVICE_SID,
            "TWILIO_FROM_NUMBER": "",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "DISPATCH_INTERVAL_SECONDS": "1",
            # Longer than any send here takes, even on a loaded machine: a reclaim happens only
            # when a test travels this process's clock past NOTIFICATION_STUCK_SECONDS.
            "NOTIFICATION_STUCK_SECONDS": "30",
            "SMS_RATE_LIMIT": "1000/s",
            "QUIET_HOURS": "off",
            # What a message says and its link must match what this process computes.
            "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "CLINIC_NAME": settings.CLINIC_NAME,
            "LOG_LEVEL": "INFO",
        }

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> Process:
        process = Process(name, args, {**self.env, **env}, self.dir / f"{name}.log")
        self.processes.append(process)
        return process

    def start_worker(self, name: str = "worker", **env: str) -> Process:
        args = ["worker", "--pool=solo", "--concurrency=1", "-Q", "celery", "-n", f"{name}@%h"]
        args += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
        return self._start(name, args, env)

    def start_beat(self, name: str = "beat", **env: str) -> Process:
        args = ["beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "--loglevel=INFO"]
        return self._start(name, args, env)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.kill()
            # Shown by pytest only when the test failed.
            print(f"----- {process.name} -----\n{process.output()[-4000:]}")

    def hung(self) -> bool:
        return self.hang_marker.exists()

    def twilio_requests(self) -> list[dict[str, Any]]:
        """Every request the SDK sent, in order, from every worker."""
        if not self.twilio_log.exists():
            return []
        return [json.loads(line) for line in self.twilio_log.read_text().splitlines()]

    def twilio_creates(self) -> list[dict[str, Any]]:
        return [r for r in self.twilio_requests() if r["method"] == "POST" and r["url"] == MESSAGES_URL]

    def twilio_send_times(self) -> list[dict[str, Any]]:
        """When the timed fake Twilio accepted each message, and in which process."""
        if not self.twilio_times.exists():
            return []
        return [json.loads(line) for line in self.twilio_times.read_text().splitlines()]

    def twilio_messages(self) -> list[dict[str, Any]]:
        """What the shared fake Twilio accepted."""
        return json.loads(self.twilio_store.read_text()) if self.twilio_store.exists() else []
