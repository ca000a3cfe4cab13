"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from celery import current_app as celery_app
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

# Seconds. A probe answers before the orchestrator's own timeout, even if a host drops packets.
CONNECT_TIMEOUT = 2


# Never cached: a proxy's stored "ok" would keep a dead process in the pool.
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive. Touches nothing else, so it stays cheap."""
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    """A connection of its own, opened with a short connect timeout and always closed: a probe
    never waits on the default's timeout-less connect, and never leaves a broken connection in
    the request's `connection` for the next request to trip on."""
    probe = connections.create_connection(DEFAULT_DB_ALIAS)
    if probe.vendor == "postgresql":
        probe.settings_dict = {
            **probe.settings_dict,
            "OPTIONS": {**probe.settings_dict["OPTIONS"], "connect_timeout": CONNECT_TIMEOUT},
        }
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means not ready; the name says which part
        return type(exc).__name__
    finally:
        probe.close()
    return None


def _broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, timeout=2)
    except Exception as exc:
        return type(exc).__name__
    return None


@never_cache
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
