"""The benchmark: `.venv/bin/python bench/run.py` (or `make bench`) from the repository root.

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
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root belongs there.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

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


@dataclass(frozen=True)
class Row:
    name: str
    measured: str
    target: str
    of_target: float
    ok: bool | None  # None: the phase broke


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def _recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin_url, name = _maintenance_url(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark's database name must contain 'bench'")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _database_exists(url: str) -> bool:
    import psycopg

    admin_url, name = _maintenance_url(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _statement_kind(sql: str) -> str:
    """`SELECT clinic_patient FOR UPDATE`, `UPDATE scheduling_slot`, `COMMIT`: enough to tell
    the statements apart (the table is the first one outside any subquery)."""
    text = sql.replace('"', "")
    verb = text.split(None, 1)[0].upper()
    depth, top_level = 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        top_level.append(char if depth == 0 and char != ")" else " ")
    words = "".join(top_level).split()
    upper = [w.upper() for w in words]
    table = ""
    if verb == "SELECT" and "FROM" in upper:
        table = words[upper.index("FROM") + 1]
    elif verb in ("INSERT", "DELETE") and len(words) > 2:
        table = words[2]
    elif verb == "UPDATE" and len(words) > 1:
        table = words[1]
    suffix = " FOR UPDATE" if verb == "SELECT" and "FOR UPDATE" in " ".join(upper) else ""
    return f"{verb} {table}{suffix}".strip()


def run_phases(phases: list[tuple[Any, list[str]]], args: argparse.Namespace, began: float) -> int:
    """Run each phase, print the summary table; 1 if a phase broke (the others still run)."""
    rows: list[Row] = []
    broken = False
    for phase, names in phases:
        try:
            rows += phase(args)
        except Exception:  # a broken phase is reported and fails the run; the others still run
            traceback.print_exc()
            broken = True
            rows += [Row(name, "(the phase failed: see above)", "", float("nan"), None) for name in names]

    _heading("Summary")
    print(f"{'figure':<30} {'measured':<62} {'target':<8} {'/target':>7}  result")
    for row in rows:
        result = "ERROR" if row.ok is None else "PASS" if row.ok else "FAIL"
        print(f"{row.name:<30} {row.measured:<62} {row.target:<8} {row.of_target:>7.2f}  {result}")
    print("(/target: measured divided by target; a limit holds at or below 1, a minimum at or above 1)")
    passed = sum(1 for row in rows if row.ok)
    print(f"\n{passed}/{len(rows)} targets met; whole run {time.perf_counter() - began:.0f} s.")
    return 1 if broken else 0


def _heading(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 86 - len(text)), flush=True)


def _setup_django(url: str) -> None:
    os.environ.update(SERVER_ENV)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def reusable_rows(args: argparse.Namespace, count: Callable[[], int]) -> int:
    """With --reuse and the database there, how many rows `count` finds in it; 0 (build it
    afresh) when it is missing, empty or not migrated. A reused database is brought up to the
    code's migrations."""
    from django.core.management import call_command
    from django.db import connection

    if not (args.reuse and _database_exists(args.database_url)):
        return 0
    try:
        rows = count()
    except Exception:  # not migrated, or another schema: rebuilt
        connection.close()
        return 0
    if rows:
        call_command("migrate", verbosity=0, interactive=False)
    return rows


def fresh_database(url: str) -> None:
    """Drop, create and migrate the benchmark's database."""
    from django.core.management import call_command

    t0 = time.perf_counter()
    _recreate_database(url)
    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"database {urlsplit(url).path.lstrip('/')} created and migrated in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )


def build_dataset(args: argparse.Namespace) -> None:
    from scheduling.models import Slot

    _heading("1. Data set")
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

    _heading(f"2. Reads: specialty={args.specialty}, state={args.state} (server time, in-process WSGI)")
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

    _heading(f"3. Bookings: {args.concurrency} concurrent clients through gunicorn")
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
            + ", ".join(_statement_kind(sql) for sql in statements)
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
    _setup_django(args.database_url)
    began = time.perf_counter()
    try:
        build_dataset(args)
    except Exception:
        traceback.print_exc()
        print("\nFAILED: the data set could not be built.", file=sys.stderr)
        return 2

    return run_phases(
        [
            (reads_phase, ["slot search p95 / raw SQL p95", "slot search p95", "next available p95"]),
            (bookings_phase, ["booking throughput / floor"]),
        ],
        args,
        began,
    )


if __name__ == "__main__":
    sys.exit(main())
