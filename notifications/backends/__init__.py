"""Channel backends, chosen by a setting like Django's email backends.

`SMS_BACKEND` takes a short name (`twilio`, `console`, `locmem`) or a dotted path to a class
(core.backends). Email goes through Django's own `EMAIL_BACKEND`, which takes short names too
(`console`, `smtp`, `locmem`; config.settings expands them).
"""

from __future__ import annotations

from django.conf import settings

from core.backends import backend_class
from notifications.backends.sms import SmsBackend

SMS_BACKENDS = {
    "twilio": "notifications.backends.twilio.TwilioSmsBackend",
    "console": "notifications.backends.sms.ConsoleSmsBackend",
    "locmem": "notifications.backends.sms.LocmemSmsBackend",
}


def sms_backend() -> SmsBackend:
    backend: SmsBackend = backend_class(settings.SMS_BACKEND, SMS_BACKENDS)()
    return backend
