"""The benchmark: `.venv/bin/python -m bench.run` (or `make bench`) from the repository root.

On PostgreSQL, into a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/clinic_bench; dropped and made again on every run):
  1. builds a 200-specialist clinic with a 60-day horizon (about 190,000 slots);
  2. times slot search and next available in-process against the raw SQL of the same rows;
  3. times bookings by 8 concurrent clients through gunicorn beside the floor of the stack;
  4. prints every figure against its target and a PASS/FAIL table.
Exits non-zero only if the data set cannot be built or a phase breaks; a missed target is
reported, not raised. Takes about a minute on two cores. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

from bench.database import django_setup, fresh_database, reusable_rows
from bench.report import Row, heading, run_benchmark, statement_kind

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench"

# Settings for the process and the server alike. Persistent connections as in production (a
# new PostgreSQL connection per request would dominate every figure); no throttling (the
# clients would hit it); the booking policies at their documented defaults.
SERVER_ENV = {
    "THROTTLE_RATES": "off",
    "DATABASE_CONN_MAX_AGE": "600",
    "BOOKING_HORIZON_DAYS": "60",
    "MIN_NOTICE_MINUTES": "120",
    "MAX_ACTIVE_BOOKINGS": "3",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
}

WARMUP = 50  # requests per path before the timed rounds, to warm every worker thread

TARGETS = {
    "search_ratio": 3.0,  # slot search p95 / raw SQL p95, at most
    "search_p95_ms": 30.0,  # slot search p95, under
    "next_p95_ms": 50.0,  # next available p95, under
    "booking_share": 0.5,  # booking throughput / floor throughput, at least
}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--specialists", type=int, default=200)
    parser.add_argument("--specialty", default="chronic-pain")
    parser.add_argument("--state", default="NY")
    parser.add_argument("--iterations", type=int, default=300, help="timed requests per read endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--bookings", type=int, default=3000, help="timed bookings per path (floor, API)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating floor/API rounds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    return parser.parse_args()


def build_dataset(args: argparse.Namespace) -> None:
    from scheduling.models import Slot

    heading("1. Data set")
    if slots := reusable_rows(args, Slot.objects.count):
        print(f"reusing {args.database_url}: {slots} slots", flush=True)
        return
    fresh_database(args.database_url)

    from bench import dataset

    stats = dataset.build(specialists=args.specialists)
    for step, seconds in stats.timings.items():
        print(f"  {step:<45} {seconds:6.1f} s")
    print(
        f"{stats.specialists} specialists, {stats.licenses} licences, {stats.rules} weekly rules; "
        f"{stats.slots} slots ({stats.open_slots} open, {stats.booked_slots} booked, "
        f"{stats.blocked_slots} blocked by time off); {stats.patients} patients, {stats.bookings} bookings",
        flush=True,
    )
    if stats.slots < 150_000:
        raise RuntimeError(f"only {stats.slots} slots were made")


def reads_phase(args: argparse.Namespace) -> list[Row]:
    from bench import reads

    heading(f"2. Reads: specialty={args.specialty}, state={args.state} (server time, in-process WSGI)")
    search, nxt = reads.run(
        conninfo=args.database_url, specialty=args.specialty, state=args.state, iterations=args.iterations
    )
    for r in (search, nxt):
        print(
            f"{r.name}: {r.detail}; {r.queries} SQL quer{'y' if r.queries == 1 else 'ies'} per request; "
            f"same rows as the raw SQL: {'yes' if r.same_rows else 'NO'}"
        )
        print(f"  API      {r.api}")
        print(f"  raw SQL  {r.raw}")
        print(f"  p95 ratio API / raw SQL: {r.ratio:.2f}x")
    return [
        Row(
            "slot search p95 / raw SQL p95",
            f"{search.ratio:.2f}x ({search.api.p95:.2f} / {search.raw.p95:.2f} ms)",
            f"<= {TARGETS['search_ratio']:g}x",
            search.ratio / TARGETS["search_ratio"],
            search.ratio <= TARGETS["search_ratio"] and search.same_rows,
        ),
        Row(
            "slot search p95",
            f"{search.api.p95:.2f} ms (p50 {search.api.p50:.2f} ms)",
            f"< {TARGETS['search_p95_ms']:g} ms",
            search.api.p95 / TARGETS["search_p95_ms"],
            search.api.p95 < TARGETS["search_p95_ms"],
        ),
        Row(
            "next available p95",
            f"{nxt.api.p95:.2f} ms (p50 {nxt.api.p50:.2f}; raw SQL p95 {nxt.raw.p95:.2f}, {nxt.ratio:.2f}x)",
            f"< {TARGETS['next_p95_ms']:g} ms",
            nxt.api.p95 / TARGETS["next_p95_ms"],
            nxt.api.p95 < TARGETS["next_p95_ms"] and nxt.same_rows,
        ),
    ]


def bookings_phase(args: argparse.Namespace) -> list[Row]:
    from bench import load

    heading(f"3. Bookings: {args.concurrency} concurrent clients through gunicorn")
    log_path = Path(tempfile.gettempdir()) / f"bench-gunicorn-{os.getpid()}.log"
    per_round = args.bookings // args.rounds
    floor, api, server = load.run(
        server_env={**SERVER_ENV, "DATABASE_URL": args.database_url},
        workers=args.workers,
        threads=args.threads,
        concurrency=args.concurrency,
        per_round=per_round,
        rounds=args.rounds,
        warmup=WARMUP,
        log_path=log_path,
    )
    print(f"server: {server['command']}  (log: {log_path})")
    print(
        f"{args.rounds} alternating rounds of {per_round} requests per path, each on its own slot, "
        f"after {WARMUP} warm-up requests each"
    )
    for r, key in ((floor, "floor"), (api, "bookings")):
        label = "floor: POST /bench/floor/claim/" if r is floor else "API:   POST /api/v1/bookings/"
        print(f"{label}: {r.ok}/{r.requests} created in {r.wall_s:.2f} s -> {r.throughput:7.1f} bookings/s")
        print(f"  latency per request (client side, loopback) {r.latency}")
        server_ms, postgres_ms, clients_ms = r.cpu_ms_per_request()
        statements = server["statements"][key]
        print(
            f"  CPU per request: gunicorn {server_ms:.2f} ms + PostgreSQL {postgres_ms:.2f} ms "
            f"(clients {clients_ms:.2f} ms)"
        )
        print(
            f"  {len(statements)} SQL statements (and the connection health check): "
            + ", ".join(statement_kind(sql) for sql in statements)
        )
        if r.ok != r.requests:
            print(f"  statuses {r.statuses}; first error: {r.sample_error}")
    share = api.throughput / floor.throughput if floor.throughput else 0.0
    floor_cpu, api_cpu = sum(floor.cpu_ms_per_request()[:2]), sum(api.cpu_ms_per_request()[:2])
    print(
        f"booking throughput / floor throughput: {share:.0%}; "
        f"server + database CPU per request, floor / API: {floor_cpu / api_cpu:.0%}"
        if api_cpu
        else f"booking throughput / floor throughput: {share:.0%}"
    )
    failed = api.requests - api.ok
    return [
        Row(
            "booking throughput / floor",
            f"{share:.0%} ({api.throughput:.0f} / {floor.throughput:.0f} per s; API p95 {api.latency.p95:.1f} ms)"
            + (f"; {failed} NOT CREATED" if failed else ""),
            f">= {TARGETS['booking_share']:.0%}",
            share / TARGETS["booking_share"],
            share >= TARGETS["booking_share"] and api.ok == api.requests,
        )
    ]


def main() -> int:
    # WhiteNoise's notice that collectstatic never ran: true, and beside the point here.
    warnings.filterwarnings("ignore", message="No directory at")
    args = _args()
    django_setup(args.database_url, env=SERVER_ENV, settings="bench.settings")
    return run_benchmark(
        build_dataset,
        [
            (reads_phase, ["slot search p95 / raw SQL p95", "slot search p95", "next available p95"]),
            (bookings_phase, ["booking throughput / floor"]),
        ],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
