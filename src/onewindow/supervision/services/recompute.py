"""双告知 deadlines follow the working-day calendar (decision 0011, as the case clocks do).

Actor: whoever changed the calendar, through ``core.services.calendar_days_set`` /
``calendar_day_delete`` / ``calendar_recompute``, which call :func:`tasks_recompute` as the
supervision app's calendar listener inside their transaction (registered in
``SupervisionConfig.ready()``).

Rule: an open task (not answered) whose answer period — after its notice day, up to its due date
— contains a changed day gets its due date counted again from ``notified_on`` and ``limit_days``
on the new calendar. Bounded by the span (the ``due`` index), batched ``BATCH`` tasks at a time,
rows locked in id order; one UPDATE per distinct new date, one INSERT of events and one of audit
entries per batch. A reminder already sent stays sent.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from onewindow.accounts import permissions as account_perms
from onewindow.core.audit import audit_record_many
from onewindow.core.calendar import WorkingDays

from .. import deadlines
from ..choices import OPEN_STATUSES, TaskAction
from ..models import DualNoticeTask, DualNoticeTaskEvent
from . import common

BATCH = 500
MARGIN = datetime.timedelta(days=60)


def _affected_ids(first: datetime.date, last: datetime.date) -> list[int]:
    return sorted(
        DualNoticeTask.objects.filter(status__in=OPEN_STATUSES, notified_on__lt=last, due_date__gte=first).values_list(
            "pk", flat=True
        )
    )


def _batch(ids: list[int], *, by: Any, first: datetime.date, last: datetime.date) -> int:
    tasks = list(DualNoticeTask.objects.select_for_update().filter(pk__in=ids, status__in=OPEN_STATUSES).order_by("pk"))
    if not tasks:
        return 0
    days = WorkingDays(min(t.notified_on for t in tasks), max(t.due_date for t in tasks) + MARGIN)
    moved: list[tuple[DualNoticeTask, datetime.date]] = []
    for task in tasks:
        due = deadlines.due_date(task.notified_on, task.limit_days, days=days)
        if due != task.due_date:
            moved.append((task, task.due_date))
            task.due_date = due
    if not moved:
        return 0
    now = timezone.now()
    groups: dict[datetime.date, list[int]] = {}
    for task, _previous in moved:
        groups.setdefault(task.due_date, []).append(task.pk)
    for due, pks in groups.items():
        DualNoticeTask.objects.filter(pk__in=pks).update(due_date=due, updated_at=now)
    user = common.actor_user(by)
    label = common.actor_label(user)
    span = [first.isoformat(), last.isoformat()]
    DualNoticeTaskEvent.objects.bulk_create(
        [
            DualNoticeTaskEvent(
                task=task,
                action=TaskAction.RECALCULATE,
                from_status=task.status,
                to_status=task.status,
                actor=user,
                actor_label=label,
                department_id=task.department_id,
                created_at=now,
                data={
                    "due_date": task.due_date.isoformat(),
                    "previous_due_date": previous.isoformat(),
                    "calendar": span,
                },
            )
            for task, previous in moved
        ]
    )
    audit_record_many(
        actor=by,
        action=f"supervision.dual_notice_task.{TaskAction.RECALCULATE}",
        role=account_perms.primary_role(user) if user is not None else "",
        entries=[
            (task, {"due_date": previous.isoformat()}, {"due_date": task.due_date.isoformat()})
            for task, previous in moved
        ],
    )
    return len(moved)


def tasks_recompute(*, by: Any, first: datetime.date, last: datetime.date) -> int:
    """The supervision calendar listener: recompute the open tasks whose answer period contains a
    day of ``first``..``last``; returns how many due dates moved."""
    common.require_atomic()
    ids = _affected_ids(first, last)
    return sum(_batch(ids[i : i + BATCH], by=by, first=first, last=last) for i in range(0, len(ids), BATCH))
