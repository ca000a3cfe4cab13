"""Slot search and next available: server time in-process against the raw SQL of the same rows.

Server time is one call of Django's WSGI handler (the whole middleware stack, DRF, the
queries, JSON rendering), measured in this process so that no HTTP client or socket is in the
figure. The baseline is hand-written SQL through psycopg, returning the same page of rows and
the same count in one statement; it is checked to return the same ids before it is timed.
Both run on persistent connections with the same psycopg options: server-side binding, and
statements prepared once a connection has run them `prepare_threshold` times (the settings'
DATABASE_PREPARE_THRESHOLD, 0 for never), so neither side pays the planner where the other
does not.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.utils import timezone

from bench.inprocess import InProcessServer
from bench.stats import Latency

PAGE_SIZE = 50

# One page of bookable slots and their total, as slots_bookable defines them: open, inside the
# window, of an active specialist in the specialty who offers the visit type (a new-patient one
# only while accepting new patients) and is licensed in the state on the slot's (UTC) date.
SEARCH_SQL = """
SELECT s.id, s.specialist_id, s.visit_type_id, s.start, s."end", count(*) OVER () AS total
FROM scheduling_slot s
JOIN clinic_specialist sp ON sp.id = s.specialist_id
WHERE s.status = 'open'
  AND s.start >= %(earliest)s AND s.start < %(latest)s
  AND sp.is_active
  AND EXISTS (SELECT 1 FROM clinic_specialist_specialties ss
              JOIN clinic_specialty y ON y.id = ss.specialty_id
              WHERE ss.specialist_id = s.specialist_id AND y.slug = %(specialty)s)
  AND EXISTS (SELECT 1 FROM clinic_specialist_visit_types vt
              JOIN clinic_visittype t ON t.id = vt.visittype_id
              WHERE vt.specialist_id = s.specialist_id AND vt.visittype_id = s.visit_type_id
                AND (NOT t.new_patient OR sp.accepting_new_patients))
  AND EXISTS (SELECT 1 FROM clinic_statelicense l
              WHERE l.specialist_id = s.specialist_id AND l.state = %(state)s
                AND l.expires_on >= (s.start AT TIME ZONE 'UTC')::date)
ORDER BY s.start, s.id
LIMIT %(limit)s
"""

# The earliest bookable slot of each matching specialist, soonest first: one LATERAL index
# scan per specialist on (specialist, start) WHERE status = 'open', stopping at its first row.
NEXT_AVAILABLE_SQL = """
SELECT f.id, f.specialist_id, f.visit_type_id, f.start, f."end", count(*) OVER () AS total
FROM clinic_specialist sp
CROSS JOIN LATERAL (
    SELECT s.id, s.specialist_id, s.visit_type_id, s.start, s."end"
    FROM scheduling_slot s
    WHERE s.specialist_id = sp.id AND s.status = 'open'
      AND s.start >= %(earliest)s AND s.start < %(latest)s
      AND EXISTS (SELECT 1 FROM clinic_specialist_visit_types vt
                  JOIN clinic_visittype t ON t.id = vt.visittype_id
                  WHERE vt.specialist_id = s.specialist_id AND vt.visittype_id = s.visit_type_id
                    AND (NOT t.new_patient OR sp.accepting_new_patients))
      AND EXISTS (SELECT 1 FROM clinic_statelicense l
                  WHERE l.specialist_id = s.specialist_id AND l.state = %(state)s
                    AND l.expires_on >= (s.start AT TIME ZONE 'UTC')::date)
    ORDER BY s.start, s.id
    LIMIT 1
) f
WHERE sp.is_active
  AND EXISTS (SELECT 1 FROM clinic_specialist_specialties ss
              JOIN clinic_specialty y ON y.id = ss.specialty_id
              WHERE ss.specialist_id = sp.id AND y.slug = %(specialty)s)
ORDER BY f.start, f.id
LIMIT %(limit)s
"""


@dataclass
class ReadResult:
    name: str
    api: Latency
    raw: Latency
    queries: int
    count: int
    page_ids: int
    same_rows: bool
    detail: str

    @property
    def ratio(self) -> float:
        return self.api.p95 / self.raw.p95


def _raw(
    conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], float]:
    t0 = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return rows, (time.perf_counter() - t0) * 1000


def _policy_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return (
        now + dt.timedelta(minutes=settings.MIN_NOTICE_MINUTES),
        now + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS),
    )


def _measure(
    name: str,
    server: InProcessServer,
    conn: psycopg.Connection[Any],
    path: str,
    query: dict[str, str],
    sql: str,
    params: Callable[[], dict[str, Any]],
    *,
    warmup: int,
    iterations: int,
) -> ReadResult:
    # Same rows? Checked before timing; retried once in case a slot crossed the minimum-notice
    # boundary between the two calls.
    for _attempt in range(2):
        status, body, statements = server.queries("GET", path, query=query)
        queries = len(statements)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
        payload = json.loads(body)
        rows, _ = _raw(conn, sql, params())
        api_ids = [item["id"] for item in payload["results"]]
        raw_ids = [row[0] for row in rows]
        raw_count = rows[0][-1] if rows else 0
        same = api_ids == raw_ids and payload["count"] == raw_count
        if same:
            break
    detail = (
        f"{len(api_ids)} ids on the page, count {payload['count']}"
        if same
        else f"MISMATCH: api ids {api_ids[:5]}... count {payload['count']}; "
        f"raw ids {raw_ids[:5]}... count {raw_count}"
    )
    for _ in range(warmup):
        server.get(path, query)
        _raw(conn, sql, params())
    api_ms: list[float] = []
    raw_ms: list[float] = []
    # Interleaved, so that both see the same state of caches and of the machine.
    for _ in range(iterations):
        api_ms.append(server.get(path, query)[2])
        raw_ms.append(_raw(conn, sql, params())[1])
    return ReadResult(
        name=name,
        api=Latency.of(api_ms),
        raw=Latency.of(raw_ms),
        queries=queries,
        count=payload["count"],
        page_ids=len(api_ids),
        same_rows=same,
        detail=detail,
    )


def run(
    *, conninfo: str, specialty: str, state: str, warmup: int = 30, iterations: int = 300
) -> list[ReadResult]:
    server = InProcessServer()
    # A fixed 7-day window starting the day after tomorrow (UTC): past the minimum notice, so
    # the API and the SQL bound it the same way whatever the clock says.
    start_after = (timezone.now() + dt.timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    start_before = start_after + dt.timedelta(days=7)

    def search_params() -> dict[str, Any]:
        earliest, latest = _policy_window(timezone.now())
        return {
            "earliest": max(earliest, start_after),
            "latest": min(latest, start_before),
            "specialty": specialty,
            "state": state,
            "limit": PAGE_SIZE,
        }

    def next_params() -> dict[str, Any]:
        earliest, latest = _policy_window(timezone.now())
        return {
            "earliest": earliest,
            "latest": latest,
            "specialty": specialty,
            "state": state,
            "limit": PAGE_SIZE,
        }

    options = settings.DATABASES["default"].get("OPTIONS", {})
    with psycopg.connect(
        conninfo, autocommit=True, prepare_threshold=options.get("prepare_threshold")
    ) as conn:
        search = _measure(
            "slot search",
            server,
            conn,
            "/api/v1/slots/",
            {
                "specialty": specialty,
                "state": state,
                "start_after": start_after.isoformat(),
                "start_before": start_before.isoformat(),
            },
            SEARCH_SQL,
            search_params,
            warmup=warmup,
            iterations=iterations,
        )
        nxt = _measure(
            "next available",
            server,
            conn,
            "/api/v1/slots/next-available/",
            {"specialty": specialty, "state": state},
            NEXT_AVAILABLE_SQL,
            next_params,
            warmup=warmup,
            iterations=iterations,
        )
    return [search, nxt]
