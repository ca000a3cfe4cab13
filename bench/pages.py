"""The pages people use (`web/`): server time of each page on the demo clinic, in-process.

`manage.py seed_demo` fills the benchmark's own database, the way `make run` fills a newcomer's;
then each page is asked for, signed in as the person it is for, through Django's test client
(the whole middleware stack, the session, the template; no socket), and its time is measured
around the call. Target (issue 12): no page over 150 ms of server time, judged on each page's
p95.

    python -m bench.pages [--database-url postgres://.../clinic_bench_pages] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from bench.database import django_setup
from bench.report import Row, heading, run_benchmark
from bench.stats import Latency

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench_pages"
LIMIT_MS = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PAGES_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--reuse", action="store_true", help="accepted for symmetry; the demo is re-seeded")
    return parser.parse_args()


def build(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from bench.database import fresh_database

    heading("1. The demo clinic")
    fresh_database(args.database_url)
    t0 = time.perf_counter()
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 (closed with the process)
    print(f"seed_demo in {time.perf_counter() - t0:.1f} s", flush=True)


def _pages() -> list[tuple[str, str, Any]]:
    """(who, path, user or None) for every page of the demo a person opens."""
    from clinic.models import Patient, Specialist
    from scheduling.models import Booking, Slot
    from scheduling.video import Participant, join_url

    booking = Booking.objects.filter(status=Booking.Status.CONFIRMED).select_related("patient__user").first()
    assert booking is not None, "seed_demo made no confirmed booking"
    patient = booking.patient
    specialist = Specialist.objects.select_related("user").first()
    assert specialist is not None
    open_slot = Slot.objects.filter(status=Slot.Status.OPEN, specialist=specialist).order_by("start").first()
    assert open_slot is not None
    join = join_url(booking, Participant.PATIENT) or ""
    other = Patient.objects.exclude(pk=patient.pk).first()
    assert other is not None
    specialty = specialist.specialties.first()
    assert specialty is not None
    find = f"/find/?specialty={specialty.slug}&state={patient.state}&visit_type="
    return [
        ("anyone", "/", None),
        ("anyone", "/accounts/login/", None),
        ("anyone", "/signup/", None),
        ("anyone", find, None),
        ("anyone", f"/specialists/{specialist.pk}/?state={patient.state}", None),
        ("anyone", "/v/" + join.rsplit("/v/", 1)[-1], None),
        ("patient", "/", patient.user),
        ("patient", find, patient.user),
        ("patient", f"/specialists/{specialist.pk}/", patient.user),
        ("patient", f"/book/{open_slot.pk}/", other.user),
        ("patient", "/visits/", patient.user),
        ("patient", f"/visits/{booking.pk}/", patient.user),
        ("patient", "/profile/", patient.user),
        ("specialist", "/", specialist.user),
        ("specialist", "/week/", specialist.user),
        ("specialist", "/hours/", specialist.user),
        ("specialist", "/time-off/", specialist.user),
    ]


def measure(args: argparse.Namespace) -> list[Row]:
    from django.test import Client

    heading(f"2. Server time per page, {args.requests} requests each after 3 warm-up")
    slowest: tuple[float, str] = (0.0, "")
    for who, path, user in _pages():
        client = Client(HTTP_ACCEPT="text/html")
        if user is not None:
            client.force_login(user)
        for _ in range(3):
            response = client.get(path)
        assert response.status_code == 200, f"{path} as {who}: {response.status_code}"
        samples = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - t0) * 1000)
        latency = Latency.of(samples)
        print(f"{who:<11} {path[:58]:<58} {latency}", flush=True)
        slowest = max(slowest, (latency.p95, f"{who} {path.split('?')[0]}"))
    p95, page = slowest
    return [
        Row(
            "slowest page p95",
            f"{p95:.1f} ms ({page})",
            f"< {LIMIT_MS:.0f} ms",
            p95 / LIMIT_MS,
            p95 < LIMIT_MS,
        )
    ]


def main() -> int:
    args = parse_args()
    django_setup(args.database_url, env={"THROTTLE_RATES": "off", "LOG_LEVEL": "WARNING", **os.environ})
    return run_benchmark(build, [(measure, ["slowest page p95"])], args)


if __name__ == "__main__":
    raise SystemExit(main())
