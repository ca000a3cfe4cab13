"""The one-slot race on SQLite, the embedded default, in a process of its own.

Django's in-memory test database cannot show it (a second `BEGIN IMMEDIATE` on it fails at
once), so this script migrates a fresh file database, races N patients for one slot through
the HTTP stack, and prints the outcome as JSON for tests/integration/test_races.py.

    DATABASE_URL=sqlite:////tmp/race.sqlite3 python -m tests.integration.sqlite_race 20
"""

from __future__ import annotations

import json
import os
import sys

import django


def main(n: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["THROTTLE_RATES"] = "off"
    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from scheduling.models import Booking
    from tests.conftest import token_for
    from tests.factories import PatientFactory, SlotFactory
    from tests.integration.race import race

    call_command("migrate", verbosity=0)
    slot = SlotFactory()
    tokens = [token_for(PatientFactory().user) for _ in range(n)]

    def book(i: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[i]}")
        return client.post("/api/v1/bookings/", {"slot": slot.pk}, format="json").status_code

    statuses = race(n, book)
    confirmed = Booking.objects.filter(slot=slot, status="confirmed").count()
    print(json.dumps({"statuses": statuses, "confirmed": confirmed}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
