"""INSERTs built once per process from a model's ``_meta``, for the hot write paths (issue #17).

The ORM compiles every ``save()``/``create()``/``bulk_create()`` anew: on a submission or a take that was
0.1–0.2 ms of CPU per row, inside the write transaction (on SQLite, while holding the one write lock).
Here the statement is built once per model, row count and database vendor; table and column names come
from ``_meta`` and are quoted by the backend, and every value is a parameter. Each value still goes
through its field's ``pre_save`` and ``get_db_prep_save`` (time stamps, JSON, encrypted fields, keyed
hashes), so the rows are the ones ``save`` would write.

Only for models without ``save`` overrides that do more than refuse an update, and without save signals
(``save`` is not called, so ``pre_save``/``post_save`` are not sent). A caller may prepare the parameters
before its transaction (:func:`row_params`) and run the statement inside (:func:`insert_prepared`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.expressions import DatabaseDefault, Value

MAX_ROWS = 16  # one statement per row count is kept: these are for a service's few rows, not bulk loads


class Insert(NamedTuple):
    """A built INSERT: its SQL, the fields in parameter order for one row, and whether it returns the
    ids (an auto-increment key; a key with a Python default, such as a UUID, is among the fields)."""

    sql: str
    fields: list[models.Field[Any, Any]]
    returning: bool


_BUILT: dict[tuple[str, type[models.Model], int], Insert] = {}


def insert_statement(model: type[models.Model], rows: int = 1) -> Insert:
    """The ``INSERT`` of ``rows`` rows of ``model`` (``RETURNING`` the ids of an auto-increment key)."""
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"insert_statement: {rows} rows (1 to {MAX_ROWS}); use bulk_create for more")
    connection = connections[DEFAULT_DB_ALIAS]
    key = (connection.vendor, model, rows)
    built = _BUILT.get(key)
    if built is None:
        pk = model._meta.pk
        returning = isinstance(pk, models.AutoField)
        fields = [f for f in model._meta.concrete_fields if not (returning and f is pk)]
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from _meta
               f"VALUES {', '.join([row] * rows)}")
        if returning:
            assert pk is not None
            sql += f" RETURNING {quote(pk.column)}"
        built = Insert(sql, fields, returning)
        _BUILT[key] = built
    return built


def row_params(obj: models.Model, fields: Sequence[models.Field[Any, Any]]) -> list[Any]:
    """One row's parameters as ``save`` would write them (each field's ``pre_save`` for an insert, then
    ``get_db_prep_save``); a field left at its database default gets that default's value."""
    connection = connections[DEFAULT_DB_ALIAS]
    params = []
    for f in fields:
        value = f.pre_save(obj, True)
        if isinstance(value, DatabaseDefault):
            default = f.db_default
            if isinstance(default, Value):
                default = default.value
            elif hasattr(default, "resolve_expression"):
                raise TypeError(f"{f}: a database default that is not a constant cannot be prepared")
            value = default
        params.append(f.get_db_prep_save(value, connection))
    return params


def insert_prepared(objs: Sequence[models.Model], statement: Insert, params: list[Any]) -> None:
    """Run ``statement`` with ``params`` (the rows' :func:`row_params`, in order); the objects get their
    ids (in the rows' order, as ``bulk_create``'s) and are marked saved."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        if statement.returning:
            for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk_value
    for obj in objs:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def insert_rows(objs: Sequence[models.Model]) -> None:
    """Insert the unsaved ``objs`` (one model, at most :data:`MAX_ROWS`) in one statement."""
    if not objs:
        return
    statement = insert_statement(type(objs[0]), len(objs))
    insert_prepared(objs, statement, [p for obj in objs for p in row_params(obj, statement.fields)])
