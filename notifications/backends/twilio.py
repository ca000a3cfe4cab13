"""SMS through Twilio's official SDK: the one module that imports its messaging client.

Production uses the SDK's own `TwilioHttpClient`, which honours HTTPS_PROXY (clinics often send
through an egress proxy). Tests swap only the HTTP client (`TwilioSmsBackend.http_client`), so
the real SDK still builds the real request.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.conf import settings
from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications.backends.sms import SendError, SmsBackend

# Twilio errors that no retry can fix: the number, not the moment, is wrong.
# https://www.twilio.com/docs/api/errors
PERMANENT_CODES = frozenset(
    {
        21211,  # invalid 'To' number
        21408,  # region not enabled
        21610,  # the recipient replied STOP (unsubscribed)
        21612,  # 'To' number not reachable by this sender
        21614,  # 'To' number is not a mobile number
        30003,  # unreachable destination handset
        30004,  # message blocked
        30005,  # unknown destination handset
        30006,  # landline or unreachable carrier
    }
)
UNSUBSCRIBED = 21610
CLOCK_MARGIN = dt.timedelta(seconds=30)
# Statuses of a message that never went out (undelivered did go out: the handset missed it).
NOT_SENT = frozenset({"failed", "canceled"})


def is_permanent(exc: TwilioRestException) -> bool:
    if exc.code in PERMANENT_CODES:
        return True
    # Other 4xx are our request's fault (auth, parameters) and fail the same way again,
    # except 429, Twilio's rate limit, which is worth waiting out.
    return 400 <= exc.status < 500 and exc.status != 429


@cache
def _default_http_client() -> HttpClient:
    """One per process, so that its connection pool carries from one message to the next."""
    return TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS)


class TwilioSmsBackend(SmsBackend):
    http_client: HttpClient | None = None  # tests put their own here

    def __init__(self) -> None:
        http_client = self.http_client or _default_http_client()
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    @property
    def sender(self) -> str:
        # A Messaging Service paces its own pool of numbers; a single number is paced alone.
        return settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_FROM_NUMBER

    def send(self, *, to: str, body: str, status_callback: str = "") -> str:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        callback = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **sender, **callback)
        except TwilioRestException as exc:
            raise SendError(
                exc.msg or f"HTTP {exc.status}", code=str(exc.code or exc.status), permanent=is_permanent(exc)
            ) from exc
        except (TwilioException, RequestException) as exc:
            raise SendError(
                f"Twilio unreachable: {type(exc).__name__}", code="network", maybe_sent=True
            ) from exc
        return str(message.sid)

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        # No date filter: a message accepted but still queued at Twilio has no send date yet.
        # Twilio's timestamps have whole seconds and its clock is not ours: a margin. (Two
        # reminders of one visit share a body, but hours apart, far beyond the margin.)
        since = since.replace(microsecond=0) - CLOCK_MARGIN
        try:
            recent = self.client.messages.list(to=to, limit=50)
        except (TwilioException, RequestException) as exc:
            raise SendError(
                f"Twilio unreachable: {type(exc).__name__}", code="network", maybe_sent=True
            ) from exc
        for message in recent:
            created = message.date_created
            if (
                message.body == body
                and created is not None
                and created >= since
                and message.status not in NOT_SENT
            ):
                return str(message.sid)
        return None
