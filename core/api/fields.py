"""Serializer fields every app's API uses."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# The largest id a bigint column holds: a larger one cannot name a row.
BIG_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An object id: a positive integer in the database's range (never a float, which
    `int()` would truncate to some other object's id)."""
    return serializers.IntegerField(min_value=1, max_value=BIG_ID, **kwargs)
