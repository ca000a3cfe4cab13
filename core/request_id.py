"""The request id: one id per request, on every log line it causes, in web and worker alike.

The middleware takes the caller's `X-Request-ID` when it is a short, safe token (a load balancer
or a client that already tagged the request), else makes a uuid4 hex; sets it in a contextvar for
the request's duration; writes one access line; and answers it in `X-Request-ID`, so a patient's
"it failed" with that header finds every line of that request.

Tasks carry it: a message published while an id is set takes it in its headers, and the worker
sets it around the task (the Celery signal handlers below), so a task's lines carry the id of
what caused it. A task published with no id set (beat's) runs under its own task id, which then
flows on: the reminder pipeline reads beat -> dispatch task id -> each send task, because a
booking request only writes rows and the beat-driven dispatcher enqueues the sends later.

`ContextFilter` puts the id (and, in a worker, the task's id and name) on every log record.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
# Short, and nothing that could forge a log line or a header (no spaces, quotes, newlines).
VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Probed every few seconds by the orchestrator: at DEBUG, so they don't bury the real traffic.
PROBES = frozenset({"healthz", "readyz"})

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_task: ContextVar[tuple[str, str] | None] = ContextVar("current_task", default=None)
log = logging.getLogger("core.access")


def valid_or_new(value: str | None) -> str:
    if value and VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every other middleware's lines carry the id too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = valid_or_new(request.headers.get(HEADER))
        token = request_id.set(rid)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            _log_access(request, response, time.monotonic() - started)
            return response
        finally:
            request_id.reset(token)


def _log_access(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    """One line per request. The view's name, never the path: a path can carry a visit's join
    token, and a query string an admin's search for a patient's name."""
    match = request.resolver_match
    view = match.view_name if match else None
    level = logging.DEBUG if view in PROBES else logging.INFO
    log.log(
        level,
        "%s %s %s",
        request.method,
        view or "(no view)",
        response.status_code,
        extra={
            "method": request.method,
            "view": view,
            "status_code": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        },
    )


class ContextFilter(logging.Filter):
    """Adds `request_id`, and in a task `task_id` and `task_name`, to each record. An attribute
    is set only when there is a value: the text format shows its default, the JSON one null."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid is not None:
            record.request_id = rid
        task = current_task.get()
        if task is not None:
            record.task_id, record.task_name = task
        return True


class ViewNotPath(logging.Filter):
    """Django's error line for a request ends with its path ("Internal Server Error: /v/<token>"),
    and a path can carry a visit's join token: the line names the view instead, as the access
    line does."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple) and len(record.args) == 2:
            match = getattr(request, "resolver_match", None)
            record.args = (record.args[0], match.view_name if match else "(no view)")
        return True


# --- Celery ---------------------------------------------------------------------------------
# Connected when config.celery imports this module, in every process that publishes or runs.
_tokens: dict[str, tuple[Token[str | None], Token[tuple[str, str] | None]]] = {}


@before_task_publish.connect
def _publish_with_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    rid = request_id.get()
    if rid is not None and headers is not None:
        headers.setdefault(TASK_HEADER, rid)


@task_prerun.connect
def _task_started(task_id: str, task: Task, **kwargs: Any) -> None:
    # The publisher's id; else the one already set (a task run eagerly inside a request); else
    # the task's own id, which the tasks it publishes then carry on.
    rid = getattr(task.request, TASK_HEADER, None) or request_id.get() or task_id
    _tokens[task_id] = (request_id.set(rid), current_task.set((task_id, task.name)))


@task_postrun.connect
def _task_finished(task_id: str, **kwargs: Any) -> None:
    # Reset, not cleared: a task run eagerly inside a request gives the request its id back.
    tokens = _tokens.pop(task_id, None)
    if tokens is not None:
        rid_token, task_token = tokens
        current_task.reset(task_token)
        request_id.reset(rid_token)
