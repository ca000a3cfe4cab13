"""One row in, one row out, on the hottest paths, without the ORM compiling a query each time.

On the booking path (and the token lookup every authenticated request makes) Django spent
more CPU compiling each query, and building the model from a raw query's row, than the
database spent answering: so those few statements are written once and kept. They go through
the model's own machinery all the same, so what is stored and what is read back is what the
ORM would store and read:

- `insert_one(obj)` stores a new instance: `pre_save` fills `auto_now_add`, `get_db_prep_save`
  adapts datetimes and JSON to the backend. It sends no `pre_save`/`post_save` signal: this
  project connects none (see STYLE.md).
- `columns(Model, alias)` is the SELECT list of a model's fields, and `instance(Model, row)`
  makes the model from those columns of a row; `values(Model, names, row)` reads some fields
  only. Both apply the backend's and the fields' converters (SQLite hands datetimes over as
  text), as a queryset would.

Statements and converters are kept per model and per backend (`connection.vendor`): they depend
only on the backend and on settings every connection of the process shares (USE_TZ, TIME_ZONE).

It lives in `clinic`, the app every other one may import, because `scheduling` and
`notifications` both read and write on the booking path; it knows nothing of either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


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


def _fields(model: type[Model], names: tuple[str, ...] | None) -> list[Field]:
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    return list(by_name.values()) if names is None else [by_name[name] for name in names]


def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """`alias.col1, alias.col2, ...`: the columns of the model's fields `names` (attnames; all
    of them by default, in the order `instance` reads)."""
    return _columns(model, alias, names, connection.vendor)


@cache
def _columns(model: type[Model], alias: str, names: tuple[str, ...] | None, vendor: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in _fields(model, names))


@cache
def _reading(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> list[tuple[int, list[Converter], Any]]:
    """The converters of those of the model's fields `names` (attnames) that have any."""
    table = model._meta.db_table
    converting = []
    for i, field in enumerate(_fields(model, names)):
        col = field.get_col(table)
        converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        if converters:
            converting.append((i, converters, col))
    return converting


def values(model: type[Model], names: tuple[str, ...], row: Sequence[Any]) -> list[Any]:
    """The values of the model's fields `names` (attnames) as the ORM reads them from `row`."""
    found = list(row)
    for i, converters, col in _reading(model, names, connection.vendor):
        for convert in converters:
            found[i] = convert(found[i], col, connection)
    return found


@cache
def _attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in _fields(model, None))


def instance(model: type[M], row: Sequence[Any]) -> M:
    """The model made from the `columns(model, ...)` part of a row, as a queryset makes it."""
    names = _attnames(model)
    return model.from_db(connection.alias, names, values(model, names, row))
