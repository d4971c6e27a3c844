"""Inserting and updating many rows of one table with one ``executemany`` (the bulk import).

Django's ``bulk_create`` compiles a multi-row ``INSERT`` per batch, and on SQLite a batch is at
most 999 parameters (some 40 profile rows), so at a few thousand rows the compiling costs more
than the writing; ``bulk_update`` builds one ``CASE`` per field, whose cost grows with the square
of the rows. Here each row's values still go through the model fields (``pre_save`` and
``get_db_prep_save``: encryption, keyed hashes, JSON, time zones), and the statement is
prepared once. Table and column names come from the models and are quoted by the backend;
every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _converter(field: models.Field[Any, Any], connection: Any, add: bool) -> Any:
    """A function of a model instance giving a field's database value. Plain columns skip Django's
    chain of prep calls (a few microseconds a value, which at millions of rows is most of the
    time); every other field (encrypted text, keyed hashes, JSON, decimals, time stamps) goes
    through ``pre_save`` and ``get_db_prep_save`` as Django would."""
    attname = field.attname
    if type(field) in PLAIN:  # exactly these classes: a subclass (encrypted text, keyed hash) has its own prep
        return lambda obj: getattr(obj, attname)
    if type(field) is models.DateField and not (field.auto_now or field.auto_now_add):
        adapt = connection.ops.adapt_datefield_value
        return lambda obj: adapt(getattr(obj, attname))
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, add), connection)


#: Field classes whose Python value is already the database value (text, integers, booleans, FK ids).
PLAIN: frozenset[type[Any]] = frozenset(
    {
        models.CharField,
        models.TextField,
        models.BooleanField,
        models.IntegerField,
        models.PositiveIntegerField,
        models.BigIntegerField,
        models.ForeignKey,
        models.OneToOneField,
    }
)


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert ``objs`` (unsaved; an auto primary key is left to the database and not read back)."""
    if not objs:
        return
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-call proxy
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    converters = [_converter(f, connection, True) for f in fields]
    params = [[convert(obj) for convert in converters] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def update_rows(model: type[models.Model], objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """``UPDATE … SET <names> WHERE pk = …`` for each of ``objs`` (fields' ``pre_save`` applied)."""
    if not objs:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    fields = [_field(model, name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk = model._meta.pk
    assert pk is not None
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608
    params = [[f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def insert_values(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows of plain values (already in their database form: text, integers) into the
    columns of ``names``: for narrow tables with many rows (the search keys)."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_field(model, name).column) for name in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class Blank:
    """Unsaved instances of ``model`` made by copying one template instance: ``Model(**kwargs)``
    walks every field (20–40 µs a profile row, a tenth of an import); a copy of the template's
    attributes costs a few. Defaults are evaluated once, for the template (so a callable default
    such as ``timezone.now`` gives every instance the same value, and a mutable default would be
    shared: pass such fields explicitly); ``values`` go through the model's descriptors (a foreign
    key object sets its id and cache)."""

    def __init__(self, model: type[models.Model], **fixed: Any) -> None:
        self.model = model
        self.template = dict(model(**fixed).__dict__)
        self.template.pop("_state")

    def __call__(self, **values: Any) -> Any:
        obj = self.model.__new__(self.model)
        obj.__dict__.update(self.template)
        obj._state = ModelState()
        for name, value in values.items():
            setattr(obj, name, value)
        return obj
