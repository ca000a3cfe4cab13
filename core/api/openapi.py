"""Schema helpers: the error shape of API.md, documented beside every success response."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A human explanation.")
    code = serializers.CharField(help_text="A stable machine code, e.g. `slot_unavailable`.")
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per invalid field; present only for field errors. A field inside "
        "another is named by its path, e.g. `licenses.0.state`.",
    )
    bookings = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Conflicting booking ids; present only with code `conflicting_bookings`.",
    )
    opens_at = serializers.DateTimeField(
        required=False, help_text="When the visit opens; present only with code `too_early`."
    )


_DESCRIPTIONS = {
    400: "Malformed or invalid input, or a booking policy refused it.",
    401: "Not authenticated.",
    403: "Authenticated but not allowed.",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state.",
    410: "Gone.",
    415: "The body is not JSON.",
    429: "Throttled.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for `extend_schema(responses=...)`, each with the one error shape."""
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in codes}


# The errors of an operation for signed-in callers of some role (not signed in; not allowed),
# and of one that also looks an object up.
SIGNED_IN = (401, 403)
FOUND = (*SIGNED_IN, 404)


def operation(
    summary: str,
    response: Any,
    *codes: int,
    request: Any = None,
    status: int | tuple[int, str] = 200,
    **kwargs: Any,
) -> Any:
    """`extend_schema` for one operation: its success response and the error responses it can
    give, each in the one error shape. An operation that takes a body (`request`) can also
    refuse it: 400 and 415 are added."""
    if request is not None:
        codes = (*codes, 400, 415)
    responses: dict[Any, Any] = {status: response, **errors(*sorted(set(codes)))}
    return extend_schema(summary=summary, request=request, responses=responses, **kwargs)
