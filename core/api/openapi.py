"""Schema helpers: the error shape of API.md, documented beside every success response, and
what drf-spectacular gets wrong for this API unless told: the schema of local times, the
security of public reads, the 401 of every operation that reads a token.

The extensions below register themselves when this module is imported, which every app's API
module does (for `operation`), so they are in force wherever a schema is generated."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from core.permissions import IsAdminOrReadOnly

# A local time of day as this API reads and writes it: HH:MM or HH:MM:SS, no offset.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


class LocalTimeFieldExtension(OpenApiSerializerFieldExtension):
    # Every time field of this API is a wall-clock time in someone's zone (a rule's hours).
    # drf-spectacular declares it `format: time`, which JSON Schema defines as RFC 3339's
    # full-time, offset included: "09:00:00" would break its own schema, and a generated client
    # would send an offset the server does not read. A pattern says what is really exchanged.
    target_class = serializers.TimeField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "string", "pattern": LOCAL_TIME_PATTERN, "example": "09:00"}


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
    401: "Not authenticated, or the token sent is not valid.",
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


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, knowing what this project's views answer whatever their `operation()`
    says: 401 wherever a token is read (a token that is not valid answers 401 also on reads
    anyone may make without one), 429 wherever a throttle applies; and that the catalogue's
    reads need no token (drf-spectacular lists a token as optional only under `AllowAny` and
    `IsAuthenticatedOrReadOnly`, so a client generated from the schema would demand one)."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        public_read = self.method in SAFE_METHODS and any(
            isinstance(permission, IsAdminOrReadOnly) for permission in self.view.get_permissions()
        )
        if public_read and {} not in auths:
            auths.append({})
        return auths

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        codes = set()
        if self.view.get_authenticators():
            codes.add(401)
        if self.view.get_throttles():
            codes.add(429)
        responses = operation["responses"]
        for code in codes - {int(c) for c in responses}:
            responses[str(code)] = {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                "description": _DESCRIPTIONS[code],
            }
        operation["responses"] = dict(sorted(responses.items()))
        return operation
