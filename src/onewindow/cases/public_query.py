"""一码查询's read (issue #17): the query code and the phone's last four digits give the public
progress of a case in two plain statements — the case's columns with its departments' names and
its told due date (one SELECT), then its public steps with their departments' names — instead of
the case with its departments as model instances, the steps, and the due date in a third statement.

Plain SQL because building the two ORM queries cost more than running them: a cProfile of the API
put 78 % of the view in ``public_status`` and most of that in the ORM's compiler (as.sql,
get_select, add_q). Table and column names come from the models' ``_meta``; the values are
converted as the ORM converts them (dates from SQLite's text, datetimes made aware in UTC), and
the steps are ``CaseEvent`` instances with only the fields shown (as ``.only()`` made them), each
with its department as ``select_related`` would set it and its two labels as plain attributes
(``action_label``, ``to_status_label``, read by the page's template): ``public_out`` reads them
unchanged. test_query_budget.py checks the result against ``selectors.case_by_query_code``.

Same rule as ``selectors.case_by_query_code`` (a wrong code or tail both answer 404 alike, the
tail compared in constant time; no personal data); the throttle stays the caller's, counted
before the lookup. Nothing is cached: every query is read anew, whatever code it names.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound
from onewindow.core.models import Department
from onewindow.core.throttle import throttle_forgive, throttle_forgive_clause

from .choices import FINAL, CaseAction, CaseStatus
from .models import Case, CaseClock, CaseEvent
from .selectors import PublicStatus

# The columns read for each step, in the model's field order (Model.from_db fills the rest as deferred).
_STEP_FIELDS = ("id", "case_id", "action", "to_status", "department_id", "created_at")


@functools.cache
def _sql(vendor: str) -> tuple[str, str]:
    """The case row's and the steps' statements (built once per database vendor)."""
    q = connections[router.db_for_read(Case)].ops.quote_name
    case, clock, event, dept = (q(m._meta.db_table) for m in (Case, CaseClock, CaseEvent, Department))
    # The told due date of the most urgent running clock (selectors.promised_due_date).
    told = (f"(SELECT COALESCE(k.promised_due_date, k.due_date) FROM {clock} k "  # noqa: S608
            f"WHERE k.case_id = c.id AND k.stopped_on IS NULL ORDER BY k.due_date, k.id LIMIT 1)")
    row = (f"SELECT c.id, c.number, c.title, c.status, c.phone_tail, c.submitted_at, {told}, "  # noqa: S608
           f"r.name, h.name FROM {case} c "
           f"LEFT OUTER JOIN {dept} r ON r.id = c.receiving_department_id "
           f"LEFT OUTER JOIN {dept} h ON h.id = c.handling_department_id "
           f"WHERE c.query_code = %s AND c.status <> %s LIMIT 1")
    steps = (f"SELECT {', '.join('e.' + f for f in _STEP_FIELDS)}, d.name FROM {event} e "  # noqa: S608
             f"LEFT OUTER JOIN {dept} d ON d.id = e.department_id WHERE e.case_id = %s AND e.public = %s ORDER BY e.id")
    return row, steps


def _day(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _moment(value: Any) -> datetime.datetime | None:
    """A datetime column read by plain SQL: aware from PostgreSQL, UTC text from SQLite (USE_TZ)."""
    moment = value if isinstance(value, datetime.datetime) or value is None else parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The actions' and statuses' labels in ``language`` (the active one), translated once per process:
    ``get_action_display`` / ``get_to_status_display`` hash every choice's lazy label on each call
    (1.7 ms a step in a cProfile of the page), and even one ``str()`` of a lazy label per step was
    half of building the steps."""
    return ({str(v): str(label) for v, label in CaseAction.choices},
            {str(v): str(label) for v, label in CaseStatus.choices})


def _steps(alias: str, rows: list[tuple[Any, ...]]) -> list[CaseEvent]:
    actions, statuses = _labels(get_language())
    steps = []
    for *values, department_name in rows:
        values[-1] = _moment(values[-1])
        event = CaseEvent.from_db(alias, _STEP_FIELDS, values)
        department: Model | None = None
        if event.department_id is not None:
            department = Department.from_db(alias, ("id", "name"), (event.department_id, department_name))
        CaseEvent.department.field.set_cached_value(event, department)  # as select_related does
        # The labels the page shows (query.html), as get_action_display / get_to_status_display give them.
        vars(event).update(action_label=actions.get(event.action, event.action),
                           to_status_label=statuses.get(event.to_status, event.to_status))
        steps.append(event)
    return steps


def _read(code: str, phone_tail: str, forgive: str = "") -> tuple[str, tuple[Any, ...], list[tuple[Any, ...]]]:
    """The case's row and its public steps' rows (two statements); NotFound for a wrong code or tail.
    ``forgive``: the failure throttle's key, given back in the steps' statement where the throttle can
    (``core.throttle.throttle_forgive_clause``: PostgreSQL), else by ``throttle_forgive`` after it."""
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:16]
    alias = router.db_for_read(Case)
    connection = connections[alias]
    row_sql, steps_sql = _sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(row_sql, [code, CaseStatus.DRAFT.value])
        row = cursor.fetchone()
        tail = (phone_tail or "").strip()
        if row is None or not row[4] or not hmac.compare_digest(str(row[4]), tail):
            raise NotFound(_("查询码或手机尾号不正确。"), code="query_not_found")
        clause = throttle_forgive_clause(forgive, alias) if forgive else None
        if clause is None:
            cursor.execute(steps_sql, [row[0], True])
        else:
            cursor.execute(clause[0] + steps_sql, [*clause[1], row[0], True])
        steps = cursor.fetchall()
    if forgive and clause is None:
        throttle_forgive(forgive)
    return alias, row, steps


def public_status(code: str, phone_tail: str) -> PublicStatus:
    """一码查询: the public progress of the case with this query code, if the phone tail is its own."""
    alias, row, step_rows = _read(code, phone_tail)
    _id, number, title, status, _tail, submitted_at, told_due, receiving, handling = row
    return PublicStatus(number=number or "", title=title, status=status,
                        status_label=str(CaseStatus(status).label), receiving_department=receiving,
                        handling_department=handling, submitted_at=_moment(submitted_at),
                        due_date=_day(told_due), steps=_steps(alias, step_rows), is_final=status in FINAL)


def public_answer(code: str, phone_tail: str, *, forgive: str = "") -> bytes:
    """一码查询's API answer (``schemas.PublicStatusOut``) from the same two statements as
    :func:`public_status`, rendered as the API renders it (``config.api.Utf8JsonRenderer``: UTF-8, Django's
    JSON encoder for dates), in the schema's field order: no model instance per step and no pydantic pass
    over a result built here in that shape (issue #17, as ``schemas.inbox_json``). test_query_json.py
    holds it equal, byte for byte, to the validated rendering of ``schemas.public_out(public_status(...))``.

    ``forgive``: the failure throttle's key, counted by the caller before; a right answer gives it back
    (on PostgreSQL in the steps' statement: three statements in all instead of four)."""
    _alias, row, step_rows = _read(code, phone_tail, forgive)
    _id, number, title, status, _tail, submitted_at, told_due, receiving, handling = row
    actions, statuses = _labels(get_language())
    steps = [{"action": action, "action_label": actions.get(action, action), "to_status": to_status,
              "to_status_label": statuses.get(to_status, to_status),
              "department": department if department_id is not None else None, "created_at": _moment(created_at)}
             for _pk, _case, action, to_status, department_id, created_at, department in step_rows]
    payload = {"number": number or "", "title": title, "status": status,
               "status_label": str(CaseStatus(status).label), "receiving_department": receiving,
               "handling_department": handling, "submitted_at": _moment(submitted_at), "due_date": _day(told_due),
               "is_final": status in FINAL, "steps": steps}
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
