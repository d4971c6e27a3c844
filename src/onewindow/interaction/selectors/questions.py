"""Questions as staff and the public see them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from onewindow.accounts.models import StaffRole, User
from onewindow.catalog.search_keys import normalize_query

from ..choices import OPEN_STATUSES, QuestionStatus
from ..models import Question
from ..permissions import STAFF_ROLES, question_queryset_for


def home_summary(*, by: Any, center_id: int | None = None, department_id: int | None = None) -> dict[str, int]:
    """Open (unanswered) and overdue questions for the management home.

    Questions belong to a center's receiving department (not to ``centers.Center``, which this
    app may not import): the count covers the departments the viewer handles — for a center
    manager, the center's department — narrowed to ``department_id`` when the caller knows it.
    ``center_id`` is accepted for the home page's contract and does not widen the scope.
    """
    qs = question_queryset_for(by).filter(status__in=OPEN_STATUSES)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    now = timezone.now()
    return {"open": qs.count(), "overdue": qs.filter(due_at__lt=now).count()}


def inbox(*, by: Any, status: str = "", overdue: bool = False, q: str = "") -> QuerySet[Question]:
    """The staff inbox: questions of the viewer's departments, oldest deadline first."""
    qs = question_queryset_for(by).select_related("item", "assignee", "department")
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    text = normalize_query(q)[0]
    if text:
        qs = qs.filter(Q(text__contains=text) | Q(answer__contains=text))
    return qs.order_by("due_at", "id")


def question_for_staff(*, by: Any, question_id: int) -> Question | None:
    return question_queryset_for(by).select_related("item", "assignee", "department").filter(
        pk=question_id).first()


def published_questions(*, q: str = "") -> QuerySet[Question]:
    """The public Q&A: published questions and answers, without the asker's identity."""
    qs = Question.objects.filter(status=QuestionStatus.PUBLISHED).select_related("item").only(
        "id", "text", "answer", "published_at", "item__id", "item__name", "created_at")
    text = normalize_query(q)[0]
    if text:
        qs = qs.filter(Q(text__contains=text) | Q(answer__contains=text))
    return qs.order_by("-published_at", "-id")


def department_staff(question: Question) -> list[User]:
    """The users who handle the question's department (valid roles, department or its region)."""
    dept = question.department
    scope = Q(department_id=dept.pk)
    if dept.region_id is not None:
        scope |= Q(department__isnull=True, region_id=dept.region_id)
    user_ids = (StaffRole.objects.filter(scope, valid=True, role__in=STAFF_ROLES)
                .values_list("user_id", flat=True).distinct())
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))
