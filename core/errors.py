"""Domain errors: a rule of the clinic was broken. Each carries a stable machine `code`.

Services raise them; `core.api.errors` turns them into the error shape of API.md. The HTTP
status lives here, beside the code, so every caller (view, task, shell) sees the same meaning.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"
    detail = "The request breaks a rule of the clinic."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.detail
        self.code = code or self.code
        self.fields = fields
        self.extra = extra
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """400: the input is well-formed but not acceptable (a policy, an overlap, a bad value)."""


class NotFound(DomainError):
    status, code, detail = 404, "not_found", "Not found."


class Conflict(DomainError):
    """409: the request conflicts with the current state."""

    status, code, detail = 409, "conflict", "The request conflicts with the current state."


class Gone(DomainError):
    status, code, detail = 410, "gone", "This is no longer available."


class Forbidden(DomainError):
    status, code, detail = 403, "permission_denied", "You do not have permission to do this."
