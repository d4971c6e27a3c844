"""Gap-free numbers per scope (连续编号): case numbers, queue tickets, archive numbers.

Rule (ARCHITECTURE rule 5): numbers that people read are unique and have no gaps. One
:class:`~onewindow.core.models.NumberCounter` row per scope is locked and incremented (one upsert
statement) in the caller's transaction, so the number and the record that carries it commit or roll back
together: a rolled-back number is handed out again, and the sequence stays 1, 2, 3, … Callers
format the number themselves (e.g. ``f"{region}{year}{n:06d}"``) and keep a unique constraint
on the formatted value.
"""

from __future__ import annotations

import functools

from django.db import transaction

from .models import NumberCounter


class NotInTransaction(RuntimeError):
    """``next_number`` was called outside ``transaction.atomic`` (a programming error)."""


def next_number(scope: str) -> int:
    """The next number of ``scope`` (1 for a new scope), under a row lock held to commit.

    Must be called inside ``transaction.atomic`` together with the insert that uses the number;
    concurrent callers on the same scope wait for each other (PostgreSQL row lock; on SQLite the
    IMMEDIATE transaction already holds the write lock). Different scopes do not contend on
    PostgreSQL.
    """
    if not scope or len(scope) > 200:
        raise ValueError("scope must be 1 to 200 characters")
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction("next_number() must be called inside transaction.atomic().")
    # One statement (issue #17; was SELECT ... FOR UPDATE then UPDATE): the upsert creates the row at
    # 1 or increments it under the row lock it takes, held to the caller's commit, so a concurrent
    # caller of the same scope waits on it and then increments the committed value (PostgreSQL
    # re-reads the row for ON CONFLICT DO UPDATE; SQLite's IMMEDIATE transaction serialises anyway).
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection.vendor), [scope])
        row = cursor.fetchone()
    return int(row[0])


@functools.cache
def _upsert_sql(vendor: str) -> str:
    """The counter's upsert (PostgreSQL; SQLite >= 3.35), built once per process from the model's names."""
    from django.db import connection

    quote = connection.ops.quote_name
    meta = NumberCounter._meta
    table, scope, value = quote(meta.db_table), quote(meta.get_field("scope").column), \
        quote(meta.get_field("value").column)
    return (f"INSERT INTO {table} ({scope}, {value}) VALUES (%s, 1) "  # noqa: S608 - names from _meta
            f"ON CONFLICT ({scope}) DO UPDATE SET {value} = {table}.{value} + 1 RETURNING {value}")
