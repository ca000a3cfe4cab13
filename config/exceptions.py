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
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clinic.errors import DomainError

log = logging.getLogger(__name__)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _first_code(codes: Any) -> str:
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return str(codes)


def _field_messages(detail: Any) -> list[str] | dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _field_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if detail and all(isinstance(item, dict) for item in detail):
            return {str(i): _field_messages(item) for i, item in enumerate(detail) if item}
        return [str(item) for item in detail]
    return [str(detail)]


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail, codes = exc.detail, exc.get_codes()
    if not isinstance(detail, dict) or not isinstance(codes, dict):
        return {"detail": _first_message(detail), "code": _first_code(codes)}
    non_field = detail.get("non_field_errors")
    body: dict[str, Any] = {
        "detail": _first_message(non_field) if non_field else "Invalid input.",
        "code": _first_code(codes["non_field_errors"]) if non_field else "invalid",
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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
        response.data = error_body(_first_message(exc.detail), _first_code(exc.get_codes()))
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
    return JsonResponse(error_body("Bad request.", "bad_request"), status=400)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    return JsonResponse(error_body("You do not have permission.", "permission_denied"), status=403)
