"""Booking throughput through gunicorn: the real endpoint beside the floor view, same server.

One gunicorn serves both (bench.settings: the application's URLs plus the floor's), so the
workers, threads, middleware and database settings are the same for both. Clients are threads
of this process, each with its own keep-alive HTTP connection, each request on a distinct slot;
the run is a fixed number of requests and stops by itself.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench import proc
from bench.inprocess import InProcessServer
from bench.stats import Latency
from clinic.models import Patient, User
from clinic.tokens import token_create
from scheduling.models import Slot

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class LoadResult:
    name: str
    requests: int
    ok: int
    wall_s: float
    latencies_ms: list[float]
    statuses: dict[int, int] = field(default_factory=dict)
    sample_error: str = ""
    # CPU seconds spent during the run: gunicorn (arbiter and workers), the PostgreSQL
    # backends of the bench database, and this process (the clients).
    cpu_server_s: float = 0.0
    cpu_postgres_s: float = 0.0
    cpu_clients_s: float = 0.0

    @property
    def throughput(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0

    @property
    def latency(self) -> Latency:
        return Latency.of(self.latencies_ms)

    def merged(self, other: LoadResult) -> LoadResult:
        statuses = dict(self.statuses)
        for code, n in other.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
        return LoadResult(
            name=self.name,
            requests=self.requests + other.requests,
            ok=self.ok + other.ok,
            wall_s=self.wall_s + other.wall_s,
            latencies_ms=self.latencies_ms + other.latencies_ms,
            statuses=statuses,
            sample_error=self.sample_error or other.sample_error,
            cpu_server_s=self.cpu_server_s + other.cpu_server_s,
            cpu_postgres_s=self.cpu_postgres_s + other.cpu_postgres_s,
            cpu_clients_s=self.cpu_clients_s + other.cpu_clients_s,
        )

    def cpu_ms_per_request(self) -> tuple[float, float, float]:
        n = max(1, self.requests)
        return (
            self.cpu_server_s * 1000 / n,
            self.cpu_postgres_s * 1000 / n,
            self.cpu_clients_s * 1000 / n,
        )


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """gunicorn on 127.0.0.1:<free port>, started and stopped by the benchmark (by its pid)."""

    def __init__(self, *, env: dict[str, str], workers: int, threads: int, log_path: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ]
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer /healthz within 30 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM to the arbiter: graceful stop of its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- CPU accounting ----------------------------------------------------------------------------


def _process_tree(root: int) -> list[int]:
    return [root, *(pid for pid in proc.pids() if (fields := proc.stat(pid)) and int(fields[1]) == root)]


class CpuMeter:
    """CPU time of the server's processes and of the database's backends, between two reads."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def read(self) -> tuple[float, float, float]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        return (
            sum(proc.cpu_s(proc.stat(pid)) for pid in _process_tree(self.server_pid)),
            sum(proc.cpu_s(proc.stat(pid)) for pid in backends),
            time.process_time(),
        )


# --- The clients --------------------------------------------------------------------------------


def _send(conn: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    conn.request("POST", request.path, body=request.body, headers=request.headers)
    response = conn.getresponse()
    return response.status, response.read()


def run_clients(name: str, port: int, requests: list[Request], *, concurrency: int) -> LoadResult:
    """Send every request once, `concurrency` at a time; the run ends when the list does."""
    lock = threading.Lock()
    queue = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                request = next(queue, None)
            if request is None:
                break
            t0 = time.perf_counter()
            try:
                status, body = _send(conn, request)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection before reading the request.
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                t0 = time.perf_counter()
                status, body = _send(conn, request)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 201 and not errors:
                    errors.append(f"{status} {body[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(concurrency)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    return LoadResult(
        name=name,
        requests=len(requests),
        ok=statuses.get(201, 0),
        wall_s=wall,
        latencies_ms=latencies,
        statuses=statuses,
        sample_error=errors[0] if errors else "",
    )


# --- What the clients send ------------------------------------------------------------------------

# Open new-patient slots of active specialists who accept new patients and offer the visit
# type, safely inside the policy window, each with a state its specialist is licensed in on
# the slot's date: a patient from there may book it.
BOOKABLE_SQL = """
SELECT DISTINCT ON (s.id) s.id, l.state
FROM scheduling_slot s
JOIN clinic_specialist sp ON sp.id = s.specialist_id
JOIN clinic_visittype vt ON vt.id = s.visit_type_id
JOIN clinic_specialist_visit_types offered
  ON offered.specialist_id = s.specialist_id AND offered.visittype_id = s.visit_type_id
JOIN clinic_statelicense l
  ON l.specialist_id = s.specialist_id AND l.expires_on >= (s.start AT TIME ZONE 'UTC')::date
WHERE s.status = 'open' AND vt.new_patient AND sp.is_active AND sp.accepting_new_patients
  AND s.start >= %(earliest)s AND s.start < %(latest)s
ORDER BY s.id, md5(s.id::text || l.state)
"""


def booking_requests(n: int, *, tag: str) -> list[Request]:
    """`n` booking requests, each by a new patient (with a token) for a distinct slot that
    patient may book under every policy."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, state FROM ({BOOKABLE_SQL}) b ORDER BY md5(id::text || %(tag)s) LIMIT %(n)s",
            {
                "earliest": now + dt.timedelta(days=1),
                "latest": now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS - 2),
                "tag": tag,
                "n": n,
            },
        )
        rows = cursor.fetchall()
    if len(rows) < n:
        raise RuntimeError(f"only {len(rows)} bookable slots for {n} booking requests")
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                email=f"load-{tag}-{i:05d}@bench.example",
                first_name="Load",
                last_name=f"Patient{i:05d}",
                role=User.Role.PATIENT,
                password="!bench-unusable",
            )
            for i in range(n)
        )
        Patient.objects.bulk_create(
            Patient(user=user, state=state, email_opt_in=True, sms_opt_in=True)
            for user, (_, state) in zip(users, rows, strict=True)
        )
        tokens = [token_create(user=user).token for user in users]
    return [
        Request(
            path="/api/v1/bookings/",
            body=json.dumps({"slot": slot_id, "reason": "Daily headaches for three months"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        for (slot_id, _), token in zip(rows, tokens, strict=True)
    ]


def floor_requests(n: int, *, exclude: set[int]) -> list[Request]:
    """`n` claims of distinct open slots for the floor view (which checks no policy), none of
    them in `exclude` (the slots the booking requests will claim)."""
    now = timezone.now()
    slot_ids = list(
        Slot.objects.filter(
            status=Slot.Status.OPEN,
            start__gte=now + dt.timedelta(days=1),
            start__lt=now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS - 2),
        )
        .exclude(pk__in=exclude)
        .order_by("?")
        .values_list("pk", flat=True)[:n]
    )
    patient_ids = list(Patient.objects.order_by("?").values_list("pk", flat=True)[:n])
    if len(slot_ids) < n or not patient_ids:
        raise RuntimeError(f"only {len(slot_ids)} open slots for {n} floor requests")
    return [
        Request(
            path="/bench/floor/claim/",
            body=json.dumps(
                {
                    "slot": slot_id,
                    "patient": patient_ids[i % len(patient_ids)],
                    "reason": "Daily headaches for three months",
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        for i, slot_id in enumerate(slot_ids)
    ]


def run(
    *,
    server_env: dict[str, str],
    workers: int,
    threads: int,
    concurrency: int,
    per_round: int,
    rounds: int,
    warmup: int,
    log_path: Path,
) -> tuple[LoadResult, LoadResult, dict[str, Any]]:
    """Alternate floor and booking rounds on one server; returns (floor, bookings, server)."""
    n = warmup + per_round * rounds
    bookings = booking_requests(n + 1, tag=f"bk{int(time.time())}")
    claimed = {json.loads(r.body)["slot"] for r in bookings}
    plan = {"floor": floor_requests(n + 1, exclude=claimed), "bookings": bookings}
    # One request of each, in this process, to see the SQL it sends.
    statements = {}
    in_process = InProcessServer()
    for name, requests in plan.items():
        last = requests.pop()
        status, content, statements[name] = in_process.queries(
            "POST", last.path, body=last.body, headers=last.headers
        )
        if status != 201:
            raise RuntimeError(f"{name}: {last.path} answered {status} in-process: {content[:300]!r}")
    results: dict[str, LoadResult | None] = {"floor": None, "bookings": None}
    with Gunicorn(env=server_env, workers=workers, threads=threads, log_path=log_path) as server:
        assert server.process is not None
        meter = CpuMeter(server.process.pid)
        for name, requests in plan.items():  # warm every worker and thread on both paths
            run_clients(name, server.port, requests[:warmup], concurrency=concurrency)
        for r in range(rounds):
            for name, requests in plan.items():
                start = warmup + r * per_round
                before = meter.read()
                result = run_clients(
                    name, server.port, requests[start : start + per_round], concurrency=concurrency
                )
                after = meter.read()
                result.cpu_server_s, result.cpu_postgres_s, result.cpu_clients_s = (
                    b - a for a, b in zip(before, after, strict=True)
                )
                previous = results[name]
                results[name] = result if previous is None else previous.merged(result)
        info = {"port": server.port, "command": " ".join(server.command[2:]), "statements": statements}
    floor, booked = results["floor"], results["bookings"]
    assert floor is not None and booked is not None
    return floor, booked, info
