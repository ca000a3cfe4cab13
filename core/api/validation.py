"""Input as every endpoint takes it: one plain serializer validates a body or a query string,
and the view passes what it returns to a service or a selector as keyword arguments."""

from __future__ import annotations

from typing import Any

from rest_framework.serializers import Serializer


def validated(serializer_class: type[Serializer], data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The validated data, or a 400 naming the fields (DRF's ValidationError)."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
