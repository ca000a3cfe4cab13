"""`manage.py sms_inbound +12125550142 1`: act on a text as if Twilio had just delivered it to
the inbound webhook, through the same service (each run is a new MessageSid). For trying the
replies on the console backend, and for an operator replaying a text Twilio logged but could not
deliver (the webhook was down)."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.services.callbacks import notification_inbound_sms


class Command(BaseCommand):
    help = "Act on an inbound SMS as the Twilio webhook would: STOP, START, 1, 2, ..."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sender", help="The number it comes from, E.164 (+12125550142).")
        parser.add_argument("body", help="What it says.")
        parser.add_argument("--sid", help="Twilio's MessageSid (default: a new one).")

    def handle(self, *args: Any, **options: Any) -> None:
        sid = options["sid"] or "SM" + secrets.token_hex(16)
        done = notification_inbound_sms(message_sid=sid, sender=options["sender"], body=options["body"])
        self.stdout.write(f"{sid}: {done or 'nothing to do'}")
