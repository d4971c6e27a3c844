"""Gap-free numbers per scope (连续编号): case numbers, queue tickets, archive numbers.

Rule (ARCHITECTURE rule 5): numbers that people read are unique and have no gaps. One
:class:`~onewindow.core.models.NumberCounter` row per scope is locked and incremented in the
caller's transaction, so the number and the record that carries it commit or roll back
together: a rolled-back number is handed out again, and the sequence stays 1, 2, 3, … Callers
format the number themselves (e.g. ``f"{region}{year}{n:06d}"``) and keep a unique constraint
on the formatted value.
"""

from __future__ import annotations

from django.db import transaction

from .locks import lock_or_create
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
    counter = lock_or_create(NumberCounter, scope=scope)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value
