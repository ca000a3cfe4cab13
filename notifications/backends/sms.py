"""The SMS backend interface, and the backends that need no provider (console, locmem)."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import uuid
from dataclasses import dataclass, field

from django.utils import timezone


class SendError(Exception):
    """A message was not accepted. `permanent` errors are not retried. `maybe_sent` says the
    provider may have taken it all the same (the connection broke after the request left), so
    the next attempt must ask the provider before it sends again."""

    def __init__(
        self, message: str, *, code: str = "", permanent: bool = False, maybe_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class SentMessage:
    to: str
    body: str
    provider_id: str
    status_callback: str = ""
    created_at: dt.datetime = field(default_factory=timezone.now)


class SmsBackend:
    """Send one text message; find one already sent (to reconcile after a crash)."""

    @property
    def sender(self) -> str:
        """Who the messages come from, as the provider paces them: SMS_RATE_LIMIT is per sender."""
        return type(self).__name__

    def send(self, *, to: str, body: str, status_callback: str = "") -> str:
        """Send and return the provider's message id; raise SendError if not accepted."""
        raise NotImplementedError

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        """The provider id of a message with this body to this number accepted at or after
        `since` (and not failed), or None. Backends that cannot look return None."""
        return None


_ids = itertools.count(1)


# Twilio's test credentials refuse this number as invalid (error 21211); the console refuses it
# too, so a demo or a developer can watch a permanent failure go through the pipeline.
TWILIO_TEST_INVALID_NUMBER = "+15005550001"


class ConsoleSmsBackend(SmsBackend):
    """Prints each message on the worker's console: the embedded default."""

    def send(self, *, to: str, body: str, status_callback: str = "") -> str:
        if to == TWILIO_TEST_INVALID_NUMBER:
            raise SendError(
                f"The 'To' number {to} is not a valid phone number.", code="21211", permanent=True
            )
        # Unique across worker processes, as a provider's ids are.
        provider_id = f"console-{uuid.uuid4().hex[:16]}"
        sys.stdout.write(f"--- SMS to {to} ({provider_id})\n{body}\n---\n")
        sys.stdout.flush()
        return provider_id


class LocmemSmsBackend(SmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox`, for tests, like Django's locmem email."""

    outbox: list[SentMessage] = []

    def send(self, *, to: str, body: str, status_callback: str = "") -> str:
        message = SentMessage(
            to=to, body=body, provider_id=f"locmem-{next(_ids)}", status_callback=status_callback
        )
        self.outbox.append(message)
        return message.provider_id

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        for message in self.outbox:
            if message.to == to and message.body == body and message.created_at >= since:
                return message.provider_id
        return None
