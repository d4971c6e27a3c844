"""Rows planned in memory and written with one ``executemany`` per table (the demo year is
~200,000 rows: model instances and ``bulk_create`` took minutes), and the working-day table."""

from __future__ import annotations

import bisect
import datetime
from functools import partial
from typing import Any

import chinese_calendar
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

from onewindow.core import crypto
from onewindow.core.fields import EncryptedTextField
from onewindow.core.models import CalendarDay

from ..choices import ClockLevel

# ---- the working-day table (the core calendar, read once) --------------------------------------

class WorkingDays:
    """The core calendar's working days of the demo period, in memory (core.calendar semantics:
    ``add(start, n)`` is the n-th working day after ``start``; ``between(a, b)`` counts a < d <= b)."""

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        overrides = dict(CalendarDay.objects.filter(date__range=(first, last))
                         .values_list("date", "is_working_day"))
        self.days: list[datetime.date] = []
        self.working: set[datetime.date] = set()
        day = first
        while day <= last:
            if overrides.get(day, _library_working(day)):
                self.days.append(day)
                self.working.add(day)
            day += datetime.timedelta(days=1)

    def add(self, start: datetime.date, n: int) -> datetime.date:
        return start if n == 0 else self.days[bisect.bisect_right(self.days, start) + n - 1]

    def between(self, a: datetime.date, b: datetime.date) -> int:
        if b < a:
            return -self.between(b, a)
        return bisect.bisect_right(self.days, b) - bisect.bisect_right(self.days, a)

    def level(self, start: datetime.date, limit: int, due: datetime.date, on: datetime.date) -> str:
        """``deadlines.level_on`` for a clock without extension or suspension."""
        if on > due:
            return ClockLevel.RED
        counted = self.between(start, on)
        if (limit == 0 and counted >= 0) or (limit and counted >= -(-limit * 8 // 10)):
            return ClockLevel.YELLOW
        return ClockLevel.GREEN


def _library_working(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


class Row:
    """A row planned in memory: attribute access like a model instance, without its cost
    (a year of cases is ~200,000 rows; model instances and ``bulk_create`` took minutes)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value

    @property
    def pk(self) -> int:
        return int(self.__dict__["id"])

    def __getattr__(self, name: str) -> Any:  # fields never set are None (stopped_on, number …)
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def insert_rows(model: type[models.Model], rows: list[Any], batch: int = 5000) -> None:
    """INSERT planned rows (objects with the model's field names as attributes and an ``id``) with
    ``executemany``, converting values as the model fields would (dates, JSON, encrypted text),
    keeping the planned timestamps (no ``auto_now``). Foreign keys may be model instances or rows."""
    fields = list(model._meta.concrete_fields)
    ops = connection.ops
    plan: list[tuple[str, bool, Any, Any]] = []
    for f in fields:
        conv: Any = None
        if isinstance(f, EncryptedTextField):
            conv = _encrypt
        elif isinstance(f, models.JSONField):
            conv = partial(ops.adapt_json_value, encoder=f.encoder)
        elif isinstance(f, models.DateTimeField):
            conv = _sqlite_datetime if connection.vendor == "sqlite" else ops.adapt_datetimefield_value
        elif isinstance(f, models.DateField):
            conv = ops.adapt_datefield_value
        default = None if f.is_relation or f.primary_key or f.null else f.get_default()
        plan.append((f.name, f.is_relation, conv, default))
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    sql = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
           f"VALUES ({', '.join(['%s'] * len(fields))})")

    def values(row: Any) -> tuple[Any, ...]:
        out = []
        for name, relation, conv, default in plan:
            value = row.__dict__.get(name, default)
            if relation and value is not None:
                value = value.pk
            if conv is not None and value is not None:
                value = conv(value)
            out.append(value)
        return tuple(out)

    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [values(r) for r in rows[start:start + batch]])


def _encrypt(value: str) -> str:
    return crypto.encrypt(value) if value else value


def _sqlite_datetime(value: datetime.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (naive UTC text), without its
    per-value settings lookups."""
    return str(value.astimezone(datetime.UTC).replace(tzinfo=None))


def next_ids(model: type[models.Model], rows: list[Any]) -> None:
    """Give planned rows the ids after the table's largest (the caller holds the write lock)."""
    first = (model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1
    for offset, row in enumerate(rows):
        row.id = first + offset


def reset_sequences(*model_list: type[models.Model]) -> None:
    """After explicit ids, PostgreSQL's sequences must move past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


