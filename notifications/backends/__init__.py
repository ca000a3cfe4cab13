"""Channel backends, chosen by a setting like Django's email backends.

`SMS_BACKEND` takes a short name (`twilio`, `console`, `locmem`) or a dotted path to a class.
Email goes through Django's own `EMAIL_BACKEND`.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.backends.sms import SmsBackend

SMS_BACKENDS = {
    "twilio": "notifications.backends.twilio.TwilioSmsBackend",
    "console": "notifications.backends.sms.ConsoleSmsBackend",
    "locmem": "notifications.backends.sms.LocmemSmsBackend",
}


@cache
def _sms_backend_class(name: str) -> type[SmsBackend]:
    return import_string(SMS_BACKENDS.get(name, name))


def sms_backend() -> SmsBackend:
    return _sms_backend_class(settings.SMS_BACKEND)()
