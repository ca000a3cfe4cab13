"""One INSERT for one new model instance, on the hottest write paths.

`Model.save()` on a new instance compiles its INSERT afresh each time; on the booking path that
compiling (the booking, its video room, its audit event) cost more CPU than the database spent
storing the rows. `insert_one` sends the same statement, built once per model and kept, with the
values the model's own fields prepare (`pre_save` fills `auto_now_add`, `get_db_prep_save`
adapts datetimes and JSON to the backend), so it stores what `save()` would. It sends no
`pre_save`/`post_save` signal: this project connects none (see STYLE.md).
"""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


@cache
def _statement(model: type[Model], vendor: str) -> tuple[str, tuple[Field, ...]]:
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
    sql, fields = _statement(type(obj), connection.vendor)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if obj._meta.auto_field is not None:
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
