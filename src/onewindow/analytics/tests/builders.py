"""Raw rows for the rollup tests, written in bulk (the real services are driven where cheap in the
tests themselves): tickets with their events, window events, ratings with follow-ups."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from onewindow.centers.models import Ticket, TicketCategory, TicketEvent, Window, WindowEvent
from onewindow.ratings.models import FollowUp, Rating

_numbers = itertools.count(1)


def ticket(center: Any, category: TicketCategory, taken_at: datetime.datetime, *, source: str = "kiosk",
           steps: list[tuple[str, int, Window | None, Any]] = (), date: datetime.date | None = None) -> Ticket:  # type: ignore[assignment]
    """A ticket taken at ``taken_at`` and its events: ``steps`` = (action, minutes after taking,
    window, clerk). The ticket row follows the steps as the services would write it."""
    from django.utils import timezone

    n = next(_numbers)
    row = Ticket.objects.create(center=center, category=category, date=date or timezone.localdate(taken_at),
                                number=n, display=f"{category.prefix}{n:03d}", source=source, queue_key=taken_at,
                                status_code=f"t{n:015d}", taken_at=taken_at, status="waiting")
    events = [TicketEvent(ticket=row, action="take", to_status="waiting", at=taken_at)]
    status = "waiting"
    for action, minutes, window, clerk in steps:
        at = taken_at + datetime.timedelta(minutes=minutes)
        new = {"call": "called", "recall": "called", "skip": "no_show", "requeue": "waiting", "transfer": "waiting",
               "start": "serving", "finish": "done", "cancel": "cancelled"}[action]
        events.append(TicketEvent(ticket=row, action=action, from_status=status, to_status=new, window=window,
                                  actor=clerk, at=at))
        status = new
        if action in ("call", "recall"):
            row.called_at, row.window, row.clerk = at, window, clerk
        elif action == "start":
            row.started_at, row.window, row.clerk = at, window, clerk
        elif action == "finish":
            row.finished_at = at
        elif action == "transfer":
            row.window = row.clerk = row.called_at = None
    row.status = status
    row.save()
    TicketEvent.objects.bulk_create(events)
    return row


def window_events(window: Window, day: datetime.datetime, steps: list[tuple[str, int, Any]]) -> None:
    """Window events at ``day`` + minutes: (action, minutes, clerk)."""
    WindowEvent.objects.bulk_create([
        WindowEvent(center_id=window.center_id, window=window, action=action, clerk=clerk,
                    at=day + datetime.timedelta(minutes=minutes)) for action, minutes, clerk in steps])


def rating(subject_type: str, subject_id: int, level: int, *, department: Any, staff: Any = None,
           channel: str = "pad", at: datetime.datetime | None = None,
           followup: tuple[str, datetime.date] | None = None) -> Rating:
    """A rating (created at ``at``) and, if given, its follow-up (status, due date)."""
    row = Rating.objects.create(subject_type=subject_type, subject_id=str(subject_id), level=level,
                                score={5: 10, 4: 8, 3: 6, 2: 3, 1: 0}[level], channel=channel,
                                department=department, staff=staff)
    if at is not None:
        Rating.objects.filter(pk=row.pk).update(created_at=at)
        row.created_at = at
    if followup is not None:
        FollowUp.objects.create(rating=row, department=department, status=followup[0], due_date=followup[1])
    return row
