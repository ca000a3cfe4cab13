"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app as celery_app


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive. Touches nothing else, so it stays cheap."""
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means not ready; the name says which part
        return type(exc).__name__
    return None


def _broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, timeout=2)
    except Exception as exc:
        return type(exc).__name__
    return None


def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker answer; 503 naming the failing part otherwise."""
    checks = {"database": _database(), "broker": _broker()}
    failing = {name: error for name, error in checks.items() if error}
    if failing:
        return JsonResponse(
            {
                "status": "unavailable",
                "detail": "Not ready.",
                "code": "not_ready",
                "failing": failing,
            },
            status=503,
        )
    return JsonResponse({"status": "ok"})
