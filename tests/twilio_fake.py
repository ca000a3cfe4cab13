"""Twilio replaced at its HTTP boundary only: the real SDK builds the real request, and this
HTTP client answers it like Twilio's REST API would, recording every request it was sent.

    fake = FakeTwilio()
    monkeypatch.setattr(TwilioSmsBackend, "http_client", fake)
    fake.fail_next(500)                 # the next create answers HTTP 500
    fake.fail_next(400, code=21211)     # ... or a Twilio error code
    fake.requests[0].data["Body"]       # what the SDK sent

In a worker process, SMS_BACKEND=tests.twilio_fake.FakeTwilioSmsBackend does the same and
appends each request as a JSON line to the file named by FAKE_TWILIO_LOG.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

from notifications.backends.twilio import TwilioSmsBackend

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


@dataclass
class SentRequest:
    method: str
    url: str
    data: dict[str, Any]
    params: dict[str, Any]
    auth: tuple[str, str] | None


@dataclass
class FakeTwilio(HttpClient):
    requests: list[SentRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    log_path: str | None = None
    _sids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        super().__init__(logger=None, is_async=False)  # type: ignore[arg-type]

    def fail_next(self, status: int, *, code: int | None = None) -> None:
        self.failures.append((status, code))

    @property
    def creates(self) -> list[SentRequest]:
        return [r for r in self.requests if r.method == "POST" and r.url.endswith("/Messages.json")]

    def request(
        self,
        method: str,
        uri: str,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ) -> Response:
        sent = SentRequest(method.upper(), uri, dict(data or {}), dict(params or {}), auth)
        self.requests.append(sent)
        if self.log_path:
            with open(self.log_path, "a") as log:
                log.write(
                    json.dumps(
                        {"method": sent.method, "url": sent.url, "data": sent.data, "params": sent.params}
                    )
                    + "\n"
                )
        if sent.method == "GET":
            to = sent.params.get("To")
            found = [m for m in self.messages if to is None or m["to"] == to]
            return Response(
                200, json.dumps({"messages": found, "next_page_uri": None, "page": 0, "page_size": 50})
            )
        if self.failures:
            status, code = self.failures.pop(0)
            # Twilio's own text for an invalid number names it (a PHI trap for log lines).
            text = (
                f"The 'To' number {sent.data.get('To')} is not a valid phone number."
                if code == 21211
                else "fake failure"
            )
            body = {"status": status, "message": text, "code": code, "more_info": ""}
            return Response(status, json.dumps(body))
        message = {
            "sid": f"SM{next(self._sids):032d}",
            "to": sent.data.get("To"),
            "body": sent.data.get("Body"),
            "status": "queued",
            "date_created": format_datetime(dt.datetime.now(dt.UTC), usegmt=True),
            "account_sid": ACCOUNT_SID,
        }
        self.messages.append(message)
        return Response(201, json.dumps(message))


class FakeTwilioSmsBackend(TwilioSmsBackend):
    """For worker processes: the real backend over a FakeTwilio that logs to FAKE_TWILIO_LOG."""

    shared: FakeTwilio | None = None

    def __init__(self) -> None:
        if FakeTwilioSmsBackend.shared is None:
            FakeTwilioSmsBackend.shared = FakeTwilio(log_path=os.environ.get("FAKE_TWILIO_LOG"))
        self.http_client = FakeTwilioSmsBackend.shared
        super().__init__()
