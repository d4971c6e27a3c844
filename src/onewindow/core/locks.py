"""Row locks for the few single rows that serialise work (counters, the audit chain head, jobs)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


def lock_or_create(model: type[M], *, defaults: dict[str, Any] | None = None, **lookup: Any) -> M:
    """Lock the row matching ``lookup`` (``SELECT ... FOR UPDATE``), creating it if missing.

    Must run inside ``transaction.atomic``. Two callers that both find no row both try to insert
    it; the loser's insert fails on the unique constraint inside a savepoint and it then locks
    the winner's row, so the row is created once and every caller ends up holding its lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_or_create() must be called inside transaction.atomic().")
    manager = model._default_manager
    row = manager.select_for_update().filter(**lookup).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            manager.create(**lookup, **(defaults or {}))
    except IntegrityError:
        pass
    return manager.select_for_update().get(**lookup)
