"""Rows in and out of the few hand-written statements (each app's `<app>/sql.py`; why there are
any: bench/README.md, "Why some statements are hand-written SQL").

They go through the model's own machinery all the same, so what is stored and what is read back
is what the ORM would store and read, and every column is read by its name, never by its place:

- `insert_one(obj)` stores a new instance: `pre_save` fills `auto_now_add`, `get_db_prep_save`
  adapts datetimes and JSON to the backend. It sends no `pre_save`/`post_save` signal: this
  project connects none (see STYLE.md). `insert_linked(obj, child, link=...)` stores a new
  instance and one that refers to it, in one round trip on PostgreSQL.
- `columns(Model, alias)` is the SELECT list of a model's fields, each column named for its
  field (`alias."col" AS "attname"`); `fetchone` gives a row as {column name: value}.
- `instance(Model, row)` makes the model from the columns named for its fields, and
  `record(Cls, row)` a dataclass from the columns named for its fields (other columns of the
  row are left alone, so one row can carry a model and a record); `records(Cls, cursor)` reads
  every row of a cursor so. All apply the backend's converters, as a queryset would (SQLite
  hands datetimes over as text, booleans as 0 and 1): a model's by its fields, a record's by
  its fields' types (a `datetime`, `date` or `bool` reads as the ORM reads a DateTimeField,
  DateField or BooleanField).

Statements and converters are kept per model (or record) and per backend (`connection.vendor`):
they depend only on the backend and on settings every connection of the process shares
(USE_TZ, TIME_ZONE).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import BooleanField, DateField, DateTimeField, Field, Model, Value

M = TypeVar("M", bound=Model)
R = TypeVar("R")
Converter = Callable[[Any, Any, Any], Any]
Row = dict[str, Any]
# The names read, and for those that need converting: their place, converters and expression.
Reading = tuple[tuple[str, ...], list[tuple[int, list[Converter], Any]]]


@cache
def _insert(model: type[Model], vendor: str) -> tuple[str, tuple[Field, ...]]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if f is not meta.auto_field)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if meta.auto_field is not None:
        sql += f" RETURNING {quote(meta.auto_field.column)}"
    return sql, fields


def insert_one(obj: M) -> M:
    """Store a new instance, as `obj.save(force_insert=True)` would; its primary key is set."""
    sql, fields = _insert(type(obj), connection.vendor)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if obj._meta.auto_field is not None:
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


@cache
def _insert_linked(
    parent: type[Model], child: type[Model], link: str, vendor: str
) -> tuple[str, tuple[Field, ...]]:
    parent_sql, _ = _insert(parent, vendor)
    meta = child._meta
    quote = connection.ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if f is not meta.auto_field)
    (key,) = [f for f in fields if f.name == link]
    returned = cast(Field, meta.auto_field), key
    sql = "WITH parent AS ({}) INSERT INTO {} ({}) SELECT {} FROM parent RETURNING {}".format(
        parent_sql,
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(
            f"parent.{quote(cast(Field, parent._meta.pk).column)}" if f is key else "%s" for f in fields
        ),
        ", ".join(quote(f.column) for f in returned),
    )
    return sql, tuple(f for f in fields if f is not key)


def insert_linked(obj: M, child: Model, *, link: str) -> M:
    """Store a new instance and a new `child` whose foreign key `link` refers to it (a booking
    and its video room), as `insert_one(obj)` then `insert_one(child)` would. On PostgreSQL in
    one statement (a data-modifying WITH), since every booking pays each round trip; SQLite has
    no such statement, and takes two. Both models have an auto primary key."""
    if connection.vendor != "postgresql":
        insert_one(obj)
        setattr(child, link, obj)
        insert_one(child)
        return obj
    sql, fields = _insert_linked(type(obj), type(child), link, connection.vendor)
    _, parent_fields = _insert(type(obj), connection.vendor)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in parent_fields]
    values += [field.get_db_prep_save(field.pre_save(child, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        child.pk, obj.pk = cursor.fetchone()
    setattr(child, link, obj)
    for saved in (obj, child):
        saved._state.adding = False
        saved._state.db = connection.alias
    return obj


def _fields(model: type[Model], names: tuple[str, ...] | None) -> list[Field]:
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    return list(by_name.values()) if names is None else [by_name[name] for name in names]


def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """`alias."col1" AS "attname1", ...`: the columns of the model's fields `names` (attnames;
    all of them by default), each named for its field."""
    return _columns(model, alias, names, connection.vendor)


@cache
def _columns(model: type[Model], alias: str, names: tuple[str, ...] | None, vendor: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)} AS {quote(f.attname)}" for f in _fields(model, names))


def fetchone(cursor: CursorWrapper) -> Row | None:
    """The cursor's next row as {column name: value}, or None."""
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def _converters(expression: Any) -> list[Converter]:
    return [*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection)]


@cache
def _model_reading(model: type[Model], vendor: str) -> Reading:
    """The model's attnames, and the converters of those of its fields that have any."""
    table = model._meta.db_table
    fields = _fields(model, None)
    converting = []
    for i, field in enumerate(fields):
        col = field.get_col(table)
        if converters := _converters(col):
            converting.append((i, converters, col))
    return tuple(f.attname for f in fields), converting


def instance(model: type[M], row: Mapping[str, Any]) -> M:
    """The model made from the columns of `row` named for its fields (`columns(model, ...)`),
    as a queryset makes it."""
    names, converting = _model_reading(model, connection.vendor)
    found = [row[name] for name in names]
    for i, converters, col in converting:
        for convert in converters:
            found[i] = convert(found[i], col, connection)
    return model.from_db(connection.alias, names, found)


# How a record's field of each type is read: as the ORM reads a model field of that kind.
_READ_AS: dict[Any, Field] = {dt.datetime: DateTimeField(), dt.date: DateField(), bool: BooleanField()}


def _plain(hint: Any) -> Any:
    """`X` of `X | None`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return hint


@cache
def _record_reading(cls: type, vendor: str) -> Reading:
    hints = typing.get_type_hints(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))
    converting = []
    for i, name in enumerate(names):
        field = _READ_AS.get(_plain(hints[name]))
        if field is not None:
            expression = Value(None, output_field=field)
            if converters := _converters(expression):
                converting.append((i, converters, expression))
    return names, converting


def _convert(found: list[Any], converting: list[tuple[int, list[Converter], Any]]) -> list[Any]:
    for i, converters, expression in converting:
        if found[i] is not None:
            for convert in converters:
                found[i] = convert(found[i], expression, connection)
    return found


def record(cls: type[R], row: Mapping[str, Any]) -> R:
    """The dataclass `cls` made from the columns of `row` named for its fields."""
    names, converting = _record_reading(cast(type, cls), connection.vendor)
    return cls(*_convert([row[name] for name in names], converting))


def records(cls: type[R], cursor: CursorWrapper) -> list[R]:
    """The cursor's remaining rows, each made into the dataclass `cls` from the columns named
    for its fields (found by name once for all the rows: a page of search results is read so)."""
    names, converting = _record_reading(cast(type, cls), connection.vendor)
    place = {column[0]: i for i, column in enumerate(cursor.description)}
    pick = operator.itemgetter(*[place[name] for name in names])
    if not converting:
        return [cls(*pick(row)) for row in cursor.fetchall()]
    return [cls(*_convert(list(pick(row)), converting)) for row in cursor.fetchall()]
