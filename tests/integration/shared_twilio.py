"""Twilio at its HTTP boundary for worker processes that come and go, with faults on request.

`tests.twilio_fake.FakeTwilio` keeps the messages Twilio accepted in the memory of one process.
A worker killed after Twilio accepted a message takes that memory with it, but Twilio would
still know the message: here the accepted messages live in a file, so the next worker's
reconciliation (the SDK's list call) finds what the killed one sent. The SDK is the real one.

    SMS_BACKEND=tests.integration.shared_twilio.SharedFakeTwilioSmsBackend
    FAKE_TWILIO_LOG=<file>          each request the SDK sent, one JSON line (as FakeTwilio)
    FAKE_TWILIO_STORE=<file>        the messages Twilio accepted, shared by every process
    FAKE_TWILIO_FAIL=500,400:21211  the first creates answer these (HTTP status[:Twilio code])
    FAKE_TWILIO_HANG=before_create  the first create never reaches Twilio and never returns
    FAKE_TWILIO_HANG=after_create   ... or Twilio accepts it and the answer never comes back
    FAKE_TWILIO_HANG_MARKER=<file>  created when the worker hangs, for the test to kill it
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from pathlib import Path

from notifications.backends.twilio import TwilioSmsBackend
from tests.twilio_fake import FakeTwilio


class SharedFakeTwilio(FakeTwilio):
    store = ""
    hang = ""
    hang_marker = ""

    @classmethod
    def from_env(cls) -> SharedFakeTwilio:
        fake = cls(log_path=os.environ.get("FAKE_TWILIO_LOG"))
        fake.store = os.environ["FAKE_TWILIO_STORE"]
        fake.hang = os.environ.get("FAKE_TWILIO_HANG", "")
        fake.hang_marker = os.environ.get("FAKE_TWILIO_HANG_MARKER", "")
        for failure in filter(None, os.environ.get("FAKE_TWILIO_FAIL", "").split(",")):
            status, _, code = failure.partition(":")
            fake.fail_next(int(status), code=int(code) if code else None)
        return fake

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        create = method.upper() == "POST"
        if create and self.hang == "before_create":
            self._hang()
        path = Path(self.store)
        self.messages = json.loads(path.read_text()) if path.exists() else []
        self._sids = itertools.count(len(self.messages) + 1)
        response = super().request(method, uri, params, data, headers, auth, timeout, allow_redirects)
        if create:
            path.with_suffix(".tmp").write_text(json.dumps(self.messages))
            path.with_suffix(".tmp").replace(path)
            if self.hang == "after_create":
                self._hang()
        return response

    def _hang(self) -> None:
        Path(self.hang_marker).touch()
        threading.Event().wait()  # a provider call that never returns, until the test kills us


class SharedFakeTwilioSmsBackend(TwilioSmsBackend):
    shared: SharedFakeTwilio | None = None

    def __init__(self) -> None:
        if SharedFakeTwilioSmsBackend.shared is None:
            SharedFakeTwilioSmsBackend.shared = SharedFakeTwilio.from_env()
        self.http_client = SharedFakeTwilioSmsBackend.shared
        super().__init__()
