"""The reminder pipeline's benchmark: `.venv/bin/python -m bench.reminders` (or
`make bench-notifications`) from the repository root.

On PostgreSQL, into a database of its own (BENCH_NOTIFICATIONS_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/clinic_bench_notifications; dropped and made again on every
run), and a Redis database of its own (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14;
flushed at the start):
  1. builds 250,000 confirmed bookings with 1,000,000 future reminders and 10,000 SMS due now;
  2. starts one real worker (`celery -A config worker --pool=prefork --concurrency=2`) and times
     the drain of the 10,000 due SMS, from the first dispatch (`notification_dispatch_due` in
     this process with the real enqueue, as the beat-driven task does it) to the last row `sent`,
     beside a no-op task on the same broker and worker (the better of a run before and one after
     the drain), and checks that each row went out exactly once;
  3. stops the worker and times one dispatcher tick (the service with a no-op enqueue, so only
     the database work counts) over the 1,000,000 future and 1,000 due rows, and shows the plan
     of its claim query;
  4. prints every figure against its target and a PASS/FAIL table.
Exits non-zero only if the data set cannot be built or a phase breaks; a missed target is
reported, not raised. About three minutes on two cores, most of it the drain. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.database import django_setup, fresh_database, reusable_rows
from bench.report import Row, heading, run_benchmark, statement_kind

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench_notifications"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"  # the test suite's Redis is db 15

TARGETS = {
    "drain_share": 0.40,  # notifications drained per s / no-op tasks per s, at least
    "tick_p95_ms": 50.0,  # one dispatcher tick over 1,000,000 future + 1,000 due rows, under
}

# Settings of this process and of the worker alike (the worker also gets DATABASE_URL and
# CELERY_BROKER_URL). Persistent connections as in production (.env.example); a fast SMS
# backend in place of Twilio; the per-worker SMS rate limit far above what the run can reach,
# so it never caps it; a dispatch batch that takes every due row in one tick.
PROCESS_ENV = {
    "DATABASE_CONN_MAX_AGE": "600",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "SMS_BACKEND": "bench.noop.CountingSmsBackend",
    "SMS_RATE_LIMIT": "100000/s",
    "DISPATCH_BATCH_SIZE": "10000",
    "NOTIFICATION_STUCK_SECONDS": "120",
}

DRAIN_KIND = "booking_confirmed"  # the drained rows; every future row is a reminder
WARMUP_TASKS = 200


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reminders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_NOTIFICATIONS_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--future", type=int, default=1_000_000, help="future pending reminders")
    parser.add_argument("--drain", type=int, default=10_000, help="due SMS drained by the worker")
    parser.add_argument("--due", type=int, default=1_000, help="due rows of the timed dispatcher tick")
    parser.add_argument("--noop", type=int, default=10_000, help="no-op tasks per run")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--tick-runs", type=int, default=30, help="timed dispatcher ticks")
    parser.add_argument("--timeout", type=float, default=240, help="seconds a drain may take")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    return parser.parse_args()


def _sql(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


# --- 1. Data set --------------------------------------------------------------------------------


def _make_due(rows: Any) -> int:
    """Put rows back to `pending`, due within the last minute, as the data set made them."""
    from django.db.models import F, Value
    from django.utils import timezone

    from notifications.models import Notification

    now = timezone.now()
    return int(
        rows.update(
            status=Notification.Status.PENDING,
            send_at=Value(now) - (F("id") % 60 + 1) * Value(dt.timedelta(seconds=1)),
            queued_at=None,
            sending_at=None,
            sent_at=None,
            provider_id="",
            attempts=0,
            updated_at=now,
        )
    )


def _reset_drain_rows() -> int:
    """Put the drained rows back to due (for --reuse)."""
    from django.db import connection

    from notifications.models import Notification

    rows = _make_due(Notification.objects.filter(kind=DRAIN_KIND))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_notification")
    return rows


def build_dataset(args: argparse.Namespace) -> None:
    from notifications.models import Notification

    heading("1. Data set")
    if rows := reusable_rows(args, Notification.objects.count):
        reset = _reset_drain_rows()
        print(f"reusing {args.database_url}: {rows} notifications, {reset} put back to due", flush=True)
        return
    fresh_database(args.database_url)
    from bench import reminder_dataset

    stats = reminder_dataset.build(future=args.future, drain=args.drain)
    for step, seconds in stats.timings.items():
        print(f"  {step:<45} {seconds:6.1f} s")
    print(
        f"{stats.bookings} confirmed bookings, each with its video room; {stats.future} future "
        f"pending reminders (SMS and email); {stats.drain} SMS due now",
        flush=True,
    )
    if stats.future != args.future or stats.drain != args.drain:
        raise RuntimeError("the data set does not have the rows asked for")


# --- 2. The worker: drain beside the no-op floor ---------------------------------------------------


@dataclass(frozen=True)
class Drain:
    sent: int
    other: dict[str, int]
    seconds: float
    dispatches: int
    dispatch_s: float
    sms_counted: int
    distinct_ids: int
    sessions: int
    cpu: str

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Floor:
    ran: int
    seconds: float
    enqueue_s: float
    ran_when_enqueued: int
    cpu: str

    @property
    def rate(self) -> float:
        return self.ran / self.seconds if self.seconds else 0.0


def _pg_sessions() -> int:
    """Connections ever opened to the bench database (PostgreSQL 14+)."""
    return int(_sql("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")[0][0])


def _noop_run(n: int, meter: Any, timeout: float) -> Floor:
    from bench.noop import NOOP_DONE_AT, NOOP_RAN, counter, noop_task

    redis = counter()
    redis.delete(NOOP_RAN, NOOP_DONE_AT)
    before = meter.read()
    began = time.time()
    for _ in range(n):
        noop_task.delay(n)
    enqueue_s = time.time() - began
    ran_when_enqueued = int(redis.get(NOOP_RAN) or 0)
    deadline = time.monotonic() + timeout
    while (done_at := redis.get(NOOP_DONE_AT)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {int(redis.get(NOOP_RAN) or 0)}/{n} no-op tasks ran in {timeout:g} s")
        time.sleep(0.02)
    cpu = (meter.read() - before).describe(n, "task")
    return Floor(
        ran=int(redis.get(NOOP_RAN) or 0),
        seconds=float(done_at) - began,
        enqueue_s=enqueue_s,
        ran_when_enqueued=ran_when_enqueued,
        cpu=cpu,
    )


def _drain_run(n: int, meter: Any, timeout: float) -> Drain:
    from django.conf import settings
    from django.db.models import Count, Max, Min, Q

    from bench.noop import SMS_SENT, counter
    from notifications import tasks
    from notifications.models import Notification
    from notifications.services.dispatch import notification_dispatch_due

    Status = Notification.Status
    # The drained rows were inserted last, in one statement: one range of ids, which the polls
    # below read through the primary key (a filter on `kind` would scan the whole table).
    bounds = Notification.objects.filter(kind=DRAIN_KIND).aggregate(
        first=Min("id"), last=Max("id"), pending=Count("id", filter=Q(status=Status.PENDING))
    )
    rows = Notification.objects.filter(pk__range=(bounds["first"], bounds["last"]), kind=DRAIN_KIND)
    if bounds["pending"] != n or bounds["last"] - bounds["first"] + 1 != n:
        raise RuntimeError(f"expected {n} pending drain rows with consecutive ids, found {bounds}")
    counter().delete(SMS_SENT)
    sessions = _pg_sessions()
    before = meter.read()
    began = time.time()
    t0 = time.perf_counter()
    dispatches = 0
    # As the beat-driven task does, with the real enqueue (`tasks.enqueue`, after commit), until
    # a tick claims less than a full batch: then nothing due is left.
    while True:
        dispatches += 1
        result = notification_dispatch_due(enqueue=tasks.enqueue)
        if result.claimed + result.reclaimed < settings.DISPATCH_BATCH_SIZE:
            break
    dispatch_s = time.perf_counter() - t0
    # Poll the backend's count in Redis (cheap), and the rows only now and then or once every
    # message is out: the poll must not take the database's time from the worker.
    settled = [Status.SENT, Status.FAILED, Status.SKIPPED, Status.CANCELLED]
    deadline = time.monotonic() + timeout
    next_look = time.monotonic() + 2
    done = 0
    while True:
        if int(counter().get(SMS_SENT) or 0) >= n or time.monotonic() >= next_look:
            if (done := rows.filter(status__in=settled).count()) >= n:
                break
            next_look = time.monotonic() + 2
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done}/{n} notifications settled in {timeout:g} s")
        time.sleep(0.02)
    cpu = (meter.read() - before).describe(n, "notification")
    sessions = _pg_sessions() - sessions
    statuses = dict(rows.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    sent = statuses.pop(Status.SENT, 0)
    last = rows.filter(status=Status.SENT).aggregate(last=Max("sent_at"))["last"]
    distinct = rows.filter(status=Status.SENT).values("provider_id").distinct().count()
    return Drain(
        sent=sent,
        other=statuses,
        seconds=(last.timestamp() - began) if last else float("nan"),
        dispatches=dispatches,
        dispatch_s=dispatch_s,
        sms_counted=int(counter().get(SMS_SENT) or 0),
        distinct_ids=distinct,
        sessions=sessions,
        cpu=cpu,
    )


def _check_quiet() -> None:
    from bench.worker import machine_busy

    busy = machine_busy()
    if busy > 0.2:
        print(
            f"WARNING: the machine is {busy:.0%} busy before the phase starts (another process): "
            "every figure of this phase will be low",
            flush=True,
        )


def worker_phase(args: argparse.Namespace) -> list[Row]:
    from bench.noop import NOOP_DONE_AT, NOOP_RAN, counter, noop_task
    from bench.worker import CpuMeter, Worker

    heading(f"2. Drain: one worker, prefork, concurrency {args.concurrency}, Redis broker")
    _check_quiet()
    redis = counter()
    redis.flushdb()
    log_path = Path(tempfile.gettempdir()) / f"bench-notifications-worker-{os.getpid()}.log"
    worker_env = {**PROCESS_ENV, "DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.redis_url}
    with Worker(env=worker_env, concurrency=args.concurrency, log_path=log_path) as worker:
        print(f"worker: {' '.join(worker.command[2:])}  (log: {log_path})")
        print(
            "settings: "
            + ", ".join(f"{k}={v}" for k, v in PROCESS_ENV.items() if k != "LOG_LEVEL")
            + f", broker {args.redis_url}",
            flush=True,
        )
        meter = CpuMeter(worker.pid)
        # Warm the pool (children forked, broker connections made) before anything is timed.
        redis.delete(NOOP_RAN, NOOP_DONE_AT)
        for _ in range(WARMUP_TASKS):
            noop_task.delay(WARMUP_TASKS)
        deadline = time.monotonic() + 60
        while redis.get(NOOP_DONE_AT) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not run the warm-up tasks")
            time.sleep(0.02)
        floors = [_noop_run(args.noop, meter, args.timeout)]
        drain = _drain_run(args.drain, meter, args.timeout)
        floors.append(_noop_run(args.noop, meter, args.timeout))

    for i, floor in enumerate(floors):
        print(
            f"no-op task, run {i + 1} ({'before' if i == 0 else 'after'} the drain): {floor.ran} ran in "
            f"{floor.seconds:.2f} s -> {floor.rate:7.1f} tasks/s (enqueued in {floor.enqueue_s:.2f} s, "
            f"{floor.ran_when_enqueued} had run by then)"
        )
        print(f"  {floor.cpu}")
    print(
        f"drain: {drain.sent} sent in {drain.seconds:.2f} s -> {drain.rate:7.1f} notifications/s "
        f"({drain.dispatches} dispatch tick{'s' if drain.dispatches > 1 else ''}: claim and enqueue "
        f"took {drain.dispatch_s:.2f} s)"
    )
    print(f"  {drain.cpu}")
    print(
        f"  PostgreSQL connections opened during the drain: {drain.sessions} "
        f"({drain.sessions / max(1, drain.sent):.2f} per notification)"
    )
    exactly_once = drain.sms_counted == drain.sent == drain.distinct_ids == args.drain and not drain.other
    print(
        f"  exactly once: {drain.sms_counted} messages accepted by the SMS backend, {drain.sent} rows sent, "
        f"{drain.distinct_ids} distinct provider ids -> {'yes' if exactly_once else 'NO'}"
        + (f"; other statuses {drain.other}" if drain.other else "")
    )
    floor_rate = max(f.rate for f in floors)
    share = drain.rate / floor_rate if floor_rate else 0.0
    print(f"drain rate / no-op rate (the better run): {share:.0%}")
    return [
        Row(
            "drain rate / no-op task rate",
            f"{share:.0%} ({drain.rate:.0f} / {floor_rate:.0f} per s)"
            + ("" if exactly_once else "; NOT EXACTLY ONCE"),
            f">= {TARGETS['drain_share']:.0%}",
            share / TARGETS["drain_share"],
            share >= TARGETS["drain_share"] and exactly_once,
        )
    ]


# --- 3. One dispatcher tick ----------------------------------------------------------------------


def _label(sql: str) -> str:
    """`SELECT notifications_notification FOR UPDATE (due)`: the statement, and for the two
    claims, which one."""
    kind = statement_kind(sql)
    where = sql.split("WHERE", 1)[-1]
    if kind.startswith("SELECT notifications_notification"):
        kind += " (due)" if '"send_at" <=' in where else " (stuck)" if '"queued_at" <' in where else ""
    return kind


@contextlib.contextmanager
def _statement_timer(samples: dict[str, list[float]]) -> Iterator[None]:
    """Time each SQL statement of the tick, keyed by the kind of statement."""
    from django.db import connection

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            samples.setdefault(_label(sql), []).append((time.perf_counter() - t0) * 1000)

    with connection.execute_wrapper(wrapper):
        yield


def _explain(queryset: Any) -> tuple[str, str]:
    """The SQL of a claim query and its EXPLAIN (ANALYZE, BUFFERS), in a transaction rolled
    back after (the claim locks its rows; a SELECT FOR UPDATE compiles only in a transaction)."""
    from django.db import connection, transaction

    with transaction.atomic():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return sql, plan


def _explain_generic(queryset: Any) -> str:
    """The plan a prepared statement of the claim would settle on: the generic plan, made
    without the parameters' values (psycopg prepares a query it has run `prepare_threshold`
    times, if the setting enables it; PostgreSQL may then switch to the generic plan)."""
    from django.db import connection, transaction
    from psycopg import sql as pgsql

    with transaction.atomic():
        query, params = queryset.query.sql_with_params()
        for i in range(len(params)):
            query = query.replace("%s", f"${i + 1}", 1)
        values = ", ".join(pgsql.Literal(p).as_string(connection.connection) for p in params)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute(f"PREPARE bench_claim AS {query}")
            try:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_claim({values})")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            finally:
                cursor.execute("DEALLOCATE bench_claim")  # PREPARE outlives a rollback
        transaction.set_rollback(True)
    return plan


def tick_phase(args: argparse.Namespace) -> list[Row]:
    from django.conf import settings
    from django.db import DatabaseError, connection
    from django.db.models import Count
    from django.utils import timezone

    from bench.stats import Latency
    from notifications.models import Notification
    from notifications.services import dispatch
    from notifications.services.dispatch import notification_dispatch_due

    Status = Notification.Status
    heading(f"3. One dispatcher tick: {args.future} future rows, {args.due} due, none stuck")
    _check_quiet()
    ids = list(
        Notification.objects.filter(kind=DRAIN_KIND).order_by("id").values_list("id", flat=True)[: args.due]
    )
    in_flight = Notification.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).update(
        status=Status.SENT
    )
    _make_due(Notification.objects.filter(pk__in=ids))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_notification")
        # The drain's writes go to disk now, not in the middle of the timed ticks.
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")
    counts = dict(
        Notification.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    future = Notification.objects.filter(status=Status.PENDING, send_at__gt=timezone.now()).count()
    print(
        f"rows by status: {counts}; {future} pending in the future, {len(ids)} due"
        + (f" ({in_flight} left in flight by the drain marked sent)" if in_flight else ""),
        flush=True,
    )

    def noop_enqueue(pk: int, channel: str) -> None:
        return None

    warmup = 3
    totals: list[float] = []
    statements: dict[str, list[float]] = {}
    claimed: set[tuple[int, int]] = set()
    for i in range(warmup + args.tick_runs):
        _make_due(Notification.objects.filter(pk__in=ids))
        timed: dict[str, list[float]] = {}
        with _statement_timer(timed):
            t0 = time.perf_counter()
            result = notification_dispatch_due(enqueue=noop_enqueue)
            elapsed = (time.perf_counter() - t0) * 1000
        claimed.add((result.claimed, result.reclaimed))
        if i >= warmup:
            totals.append(elapsed)
            for kind, values in timed.items():
                statements.setdefault(kind, []).append(sum(values))
    tick = Latency.of(totals)
    print(
        f"dispatcher tick (DISPATCH_BATCH_SIZE={settings.DISPATCH_BATCH_SIZE}, no-op enqueue), "
        f"{args.tick_runs} runs after {warmup} warm-up: {tick}"
    )
    print(f"  claimed, reclaimed per tick: {sorted(claimed)}")
    accounted = 0.0
    for kind, values in statements.items():
        median = statistics.median(values)
        accounted += median
        print(f"  {kind:<55} median {median:6.2f} ms")
    print(f"  {'the rest (COMMIT, Python, the ORM)':<55} median {tick.p50 - accounted:6.2f} ms")

    _make_due(Notification.objects.filter(pk__in=ids))
    now = timezone.now()
    # The service's own querysets, claimed as it claims them.
    due_claim = (
        dispatch.due_rows(now)
        .select_for_update(skip_locked=True)
        .values_list("id", "channel")[: settings.DISPATCH_BATCH_SIZE]
    )
    sql, plan = _explain(due_claim)
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the claim of due rows:")
    print(f"  {sql}")
    print("\n".join(f"    {line}" for line in plan.splitlines()))
    generic = _explain_generic(due_claim)
    print("The same claim as a prepared statement would run it (the generic plan):")
    print("\n".join(f"    {line}" for line in generic.splitlines()))
    stuck_claim = (
        dispatch.stuck_rows(now)
        .select_for_update(skip_locked=True)
        .values_list("id", "channel")[: settings.DISPATCH_BATCH_SIZE]
    )
    sql, stuck_plan = _explain(stuck_claim)
    print("EXPLAIN (ANALYZE, BUFFERS) of the claim of stuck rows:")
    print(f"  {sql}")
    print("\n".join(f"    {line}" for line in stuck_plan.splitlines()))
    uses_index = "notification_due" in plan
    print(
        f"claim of due rows uses the partial index notification_due: {'yes' if uses_index else 'NO'} "
        f"(generic plan: {'yes' if 'notification_due' in generic else 'NO'})"
    )
    all_claimed = claimed == {(len(ids), 0)}
    return [
        Row(
            "dispatcher tick p95",
            f"{tick.p95:.2f} ms (p50 {tick.p50:.2f}; index notification_due: {'yes' if uses_index else 'NO'})"
            + ("" if all_claimed else f"; claimed {sorted(claimed)}, NOT {len(ids)}"),
            f"< {TARGETS['tick_p95_ms']:g} ms",
            tick.p95 / TARGETS["tick_p95_ms"],
            tick.p95 < TARGETS["tick_p95_ms"] and uses_index and all_claimed,
        )
    ]


def main() -> int:
    # WhiteNoise's notice that collectstatic never ran: true, and beside the point here.
    warnings.filterwarnings("ignore", message="No directory at")
    # A SIGTERM (`timeout`, a CI runner) unwinds like Ctrl-C, so the worker is stopped on the way
    # out: it runs in a session of its own and would outlive this process otherwise.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    args = _args()
    django_setup(args.database_url, env={**PROCESS_ENV, "CELERY_BROKER_URL": args.redis_url})
    return run_benchmark(
        build_dataset,
        [(worker_phase, ["drain rate / no-op task rate"]), (tick_phase, ["dispatcher tick p95"])],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
