"""The one way a selector applies the filters a request gave (validated by its input serializer)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def filtered(rows: QuerySet[M], **lookups: Any) -> QuerySet[M]:
    """`rows` matching every lookup that has a value; a lookup whose value is None or empty is
    a filter the caller did not ask for."""
    return rows.filter(**{lookup: value for lookup, value in lookups.items() if value not in (None, "")})
