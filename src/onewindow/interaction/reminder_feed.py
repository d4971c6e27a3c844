"""Reminders of unanswered questions (提醒管理, issue #14 part 6/7).

A question waiting for its answer is due to its assignee, or — while nobody is assigned — to the
staff of its department (roles held in the department, or over the department's own region, as
the demo's center manager holds 中心负责人 over the 临汾路 street). An answer, publication or
closing resolves the reminders; an assignment moves them to the assignee. ``sync_open`` is the
periodic run (schedules.py): it re-asserts every open question's reminders, so a missed sync or a
newly granted role catches up, and the title says when a question is overdue.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onewindow.accounts.models import User
from onewindow.notifications.choices import ReminderKind
from onewindow.notifications.models import Reminder
from onewindow.notifications.services import reminder_resolve, reminder_upsert

from .choices import OPEN_STATUSES
from .models import Question
from .selectors.questions import department_staff


def source_key(question: Question) -> str:
    return f"interaction:question:{question.pk}"


def sync(question: Question) -> None:
    """Mirror one question's state into reminders (called inside the service's transaction)."""
    key = source_key(question)
    if question.status not in OPEN_STATUSES:
        reminder_resolve(source_key=key)
        return
    recipients = [question.assignee] if question.assignee_id is not None else department_staff(question)
    overdue = question.due_at < timezone.now()
    title = (_("在线问答已超期未答复：%(text)s") if overdue else _("在线问答待答复：%(text)s")) % {
        "text": question.text[:40]}
    link = reverse("interaction:manage_question", args=[question.pk])
    wanted = {u.pk for u in recipients if u is not None}
    # Someone who no longer holds it (re-assigned) is no longer reminded.
    for user_id in (Reminder.objects.filter(source_key=key).exclude(user_id__in=wanted)
                    .values_list("user_id", flat=True)):
        reminder_resolve(source_key=key, user=User.objects.get(pk=user_id))
    for user in recipients:
        if user is not None:
            reminder_upsert(user=user, kind=ReminderKind.QUESTION, source_key=key, title=title,
                            link=link, due_at=question.due_at)


def sync_open(*, limit: int = 5000) -> int:
    """Re-assert the reminders of every open question (oldest deadline first); returns how many."""
    questions = (Question.objects.filter(status__in=OPEN_STATUSES).select_related("department", "assignee")
                 .order_by("due_at", "pk")[:limit])
    count = 0
    for question in questions:
        sync(question)
        count += 1
    return count
