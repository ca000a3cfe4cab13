"""Django's WSGI application called in this process, as a server would call it, without a socket."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

if TYPE_CHECKING:
    from _typeshed import OptExcInfo


def write(data: bytes) -> object:
    """The `write` callable of WSGI's start_response, for applications that write their body
    instead of returning it; Django returns it, so it is never called."""
    raise NotImplementedError("Django returns the body; it never calls write()")


class InProcessServer:
    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, float]:
        """(status, body, milliseconds in the handler, the response's body included)."""
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        environ.update(
            REQUEST_METHOD=method,
            PATH_INFO=path,
            QUERY_STRING=urlencode(query or {}),
            HTTP_HOST="127.0.0.1",
            SERVER_NAME="127.0.0.1",
            SERVER_PORT="80",
            HTTP_ACCEPT="application/json",
            CONTENT_LENGTH=str(len(body)),
        )
        for name, value in (headers or {}).items():
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        environ["wsgi.input"] = io.BytesIO(body)
        status: list[str] = []

        def start_response(
            code: str,
            response_headers: list[tuple[str, str]],
            exc_info: OptExcInfo | None = None,
            /,
        ) -> Callable[[bytes], object]:
            status.append(code)
            return write

        t0 = time.perf_counter()
        result = self.handler(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        elapsed = (time.perf_counter() - t0) * 1000
        return int(status[0].split()[0]), content, elapsed

    def get(self, path: str, query: dict[str, str]) -> tuple[int, bytes, float]:
        return self.call("GET", path, query=query)

    def queries(self, method: str, path: str, **kwargs: Any) -> tuple[int, bytes, list[str]]:
        """One request, with the SQL statements it sent (Django's log; the connection health
        check, one `SELECT 1` per request with CONN_HEALTH_CHECKS, is not in it)."""
        reset_queries()  # the log is a window on connection.queries, which requests reset
        with CaptureQueriesContext(connection) as captured:
            status, content, _ = self.call(method, path, **kwargs)
        return status, content, [q["sql"] for q in captured.captured_queries]
