"""`Shape`: the one way this API writes a response object: a serializer of declared fields.

Rendering through DRF's own machinery cost more than the queries on the hottest paths: every
serializer instance deep-copies its declared fields (re-running each field's `__init__`: for a
booking's sixteen fields, three times the rendering itself), and each value then goes through
the field's generic lookup and conversion (fifty search results took ten times what writing
them out directly did). A shape keeps DRF's declarations, so the schema, `source=` and
`get_<name>` methods mean what they always mean, and renders them from a plan made once per
class: the plain types (integers, strings, booleans, choices, ISO 8601 datetimes) are written
directly, exactly as DRF writes them; any other field (a nested serializer, a list) goes
through DRF's own `to_representation`. `tests/core/test_shapes.py` holds the two to the same
output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from rest_framework import ISO_8601, fields, serializers
from rest_framework.settings import api_settings

Render = Callable[[Any], Any]


# A DateTimeField with the ISO 8601 default is written as DRF writes it: in the current zone,
# `Z` for UTC. The zone is looked up once per shape instance (asgiref's Local is slow).
DATETIME = "datetime"


def _direct(field: fields.Field) -> Render | str | None:
    """How to write a value of this field directly, if it is one of the plain kinds."""
    kind = type(field)
    if kind is fields.IntegerField:
        return int
    if kind in (fields.CharField, fields.EmailField, fields.SlugField, fields.URLField):
        return str
    if kind is fields.FloatField:
        return float
    if isinstance(field, fields.ChoiceField) and kind is fields.ChoiceField:
        if all(isinstance(key, str) for key in field.choices):
            return str  # a stored choice is its own string, as DRF gives it back
        return None
    if (
        kind is fields.DateTimeField
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    ):
        return DATETIME
    return None


class _Step(NamedTuple):
    name: str
    attrs: tuple[str, ...]  # the dotted `source`, () for "*"
    # How to write the value: a function, DATETIME, or None for the bound field's own
    # to_representation.
    render: Render | str | None
    method: str | None = None  # a SerializerMethodField's method


class Shape(serializers.Serializer):
    # A response object's shape: declared fields only (read with `source=` or a `get_<name>`
    # method), no `to_representation` of its own; never used for input. (A comment, not a
    # docstring: the schema would show a docstring as every shape's description.)

    _plans: ClassVar[dict[type, tuple[_Step, ...]]] = {}

    @classmethod
    def _plan(cls) -> tuple[_Step, ...]:
        plan = Shape._plans.get(cls)
        if plan is None:
            steps = []
            for name, field in cls._declared_fields.items():
                if isinstance(field, fields.SerializerMethodField):
                    steps.append(_Step(name, (), None, field.method_name or f"get_{name}"))
                    continue
                source = str(field.source or name)
                attrs = () if source == "*" else tuple(source.split("."))
                steps.append(_Step(name, attrs, _direct(field)))
            plan = Shape._plans[cls] = tuple(steps)
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, attrs, render, method in self._plan():
            if method is not None:
                out[name] = getattr(self, method)(instance)
                continue
            value = _read(instance, attrs)
            if value is None:
                out[name] = None
            elif render == DATETIME:
                text = value.astimezone(self._zone()).isoformat()
                out[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            elif callable(render):
                out[name] = render(value)
            else:
                out[name] = self.fields[name].to_representation(value)
        return out

    def _zone(self) -> Any:
        zone = self.__dict__.get("_current_zone")
        if zone is None:
            zone = self.__dict__["_current_zone"] = timezone.get_current_timezone()
        return zone


def _read(instance: Any, attrs: tuple[str, ...]) -> Any:
    """`instance.a.b` (or `instance["a"]["b"]` of a dict), or None where a link is None or a
    related row does not exist (as DRF reads a dotted `source`)."""
    for attr in attrs:
        try:
            instance = instance[attr] if isinstance(instance, dict) else getattr(instance, attr)
        except ObjectDoesNotExist:
            return None
        if instance is None:
            return None
    return instance
