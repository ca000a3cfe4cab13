"""Twilio at its HTTP boundary, with the instant of each message it accepted, for tests of the
pace of several workers together.

    SMS_BACKEND=tests.integration.timed_twilio.TimedFakeTwilioSmsBackend
    FAKE_TWILIO_TIMES=<file>    one JSON line per accepted message: its sid, the instant, the pid
"""

from __future__ import annotations

import json
import os
import time

from tests.twilio_fake import FakeTwilio, FakeTwilioSmsBackend


class TimedFakeTwilio(FakeTwilio):
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
        response = super().request(method, uri, params, data, headers, auth, timeout, allow_redirects)
        if method.upper() == "POST" and response.status_code == 201:
            line = {"sid": json.loads(response.text)["sid"], "at": time.time(), "pid": os.getpid()}
            with open(os.environ["FAKE_TWILIO_TIMES"], "a") as times:
                times.write(json.dumps(line) + "\n")
        return response


class TimedFakeTwilioSmsBackend(FakeTwilioSmsBackend):
    def __init__(self) -> None:
        if FakeTwilioSmsBackend.shared is None:
            FakeTwilioSmsBackend.shared = TimedFakeTwilio(log_path=os.environ.get("FAKE_TWILIO_LOG"))
        super().__init__()
