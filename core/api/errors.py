"""One error shape for the whole API: `{"detail", "code", "fields"?}` (see API.md).

DRF's own errors (authentication, throttling, parsing, validation, 404, 405), the domain
errors of the apps, database constraint violations that reach a view, and Django's own 404 and
500 under /api/ all leave in this shape, never as an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error
from rest_framework import exceptions, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

log = logging.getLogger(__name__)


def _first(detail: Any) -> str:
    """The first leaf of DRF's nested detail (or of its codes)."""
    if isinstance(detail, dict):
        for value in detail.values():
            return _first(value)
    if isinstance(detail, list) and detail:
        return _first(detail[0])
    return str(detail)


def _field_messages(detail: Any, path: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested errors to `{"licenses.0.state": [messages]}`, so `fields` has one
    shape (a name to a list of strings) however deep the bad value sat. A nested serializer's
    own errors (`non_field_errors`) belong to the path that holds it."""
    if isinstance(detail, dict):
        items: list[tuple[Any, Any]] = list(detail.items())
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        items = list(enumerate(detail))
    else:
        messages = detail if isinstance(detail, list) else [detail]
        return {path: [str(message) for message in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in items:
        name = path if key == "non_field_errors" else f"{path}.{key}" if path else str(key)
        for field, messages in _field_messages(value, name).items():
            flat.setdefault(field, []).extend(messages)
    return flat


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail, codes = exc.detail, exc.get_codes()
    if not isinstance(detail, dict) or not isinstance(codes, dict):
        return {"detail": _first(detail), "code": _first(codes)}
    non_field = detail.get("non_field_errors")
    body: dict[str, Any] = {
        "detail": _first(non_field) if non_field else "Invalid input.",
        "code": _first(codes["non_field_errors"]) if non_field else "invalid",
    }
    fields = {key: value for key, value in detail.items() if key != "non_field_errors"}
    if fields:
        body["fields"] = _field_messages(fields)
    return body


def error_body(detail: str, code: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    return body


def _clean(value: Any) -> Any:
    """Error bodies echo input (`"\\ud800" is not a valid choice`); a lone surrogate cannot be
    encoded as UTF-8 and would turn the 400 into a 500 at rendering. Escape it instead."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _render_as_json(request: Any) -> None:
    """Errors leave as JSON even from views that render something else (the schema's YAML, the
    Swagger page's HTML). The browsable API keeps its HTML page for a browser that asks."""
    if request is not None and not isinstance(
        getattr(request, "accepted_renderer", None), BrowsableAPIRenderer
    ):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = _error_response(exc, context)
    if response is not None:
        response.data = _clean(response.data)
        _render_as_json(context.get("request"))
    return response


def _error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body = error_body(exc.detail, exc.code, exc.fields)
        body.update(exc.extra)
        return Response(body, status=exc.status)
    if isinstance(exc, IntegrityError):
        # A constraint caught what the service did not (a race, usually): a conflict, not a 500.
        log.info("integrity error answered 409: %s", type(exc).__name__)
        return Response(
            error_body("The request conflicts with the current state.", "conflict"),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        return Response(error_body("A value is out of range.", "invalid"), status=400)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("The request body is too large.", "request_too_large"), status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("The request was refused.", "bad_request"), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    else:
        response.data = error_body(_first(exc.detail), _first(exc.get_codes()))
    return response


def _wants_api_error(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_api_error(request):
        return JsonResponse(error_body("Not found.", "not_found"), status=404)
    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _wants_api_error(request):
        return JsonResponse(error_body("Internal server error.", "server_error"), status=500)
    return server_error(request)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_api_error(request):
        return JsonResponse(error_body("Bad request.", "bad_request"), status=400)
    # A page's 400 is a page (web/templates/400.html), as its 404 and 500 are.
    return bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_api_error(request):
        return JsonResponse(error_body("You do not have permission.", "permission_denied"), status=403)
    return permission_denied(request, exception)
