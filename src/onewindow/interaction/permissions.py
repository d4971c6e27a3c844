"""Who handles questions: the staff of the question's department (the center's receiving body).

Window clerks, reviewers, the center manager and department admins holding a role in the
department handle its questions; a system admin sees all. Anyone may ask and read published
answers and the published FAQ.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind

from .models import FaqEntry, Question

STAFF_ROLES = (StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER, StaffRoleKind.CENTER_MANAGER,
               StaffRoleKind.DEPARTMENT_ADMIN)


def staff_department_ids(user: Any) -> set[int] | None:
    """Departments whose questions the user handles; None means all (a system admin).

    A role scoped to a department covers that department; a role scoped to a region (the demo's
    center manager holds 中心负责人 over the 临汾路 street) covers the departments of that region
    and the regions below it (city > district > street), as in cases.
    """
    return account_perms.departments_covered(user, STAFF_ROLES)


def is_question_staff(user: Any) -> bool:
    ids = staff_department_ids(user)
    return ids is None or bool(ids)


def handles_department(user: Any, department_id: int) -> bool:
    ids = staff_department_ids(user)
    return ids is None or department_id in ids


def question_queryset_for(user: Any) -> QuerySet[Question]:
    ids = staff_department_ids(user)
    qs = Question.objects.all()
    return qs if ids is None else qs.filter(department_id__in=ids)


def faq_queryset_for(user: Any) -> QuerySet[FaqEntry]:
    ids = staff_department_ids(user)
    qs = FaqEntry.objects.all()
    return qs if ids is None else qs.filter(department_id__in=ids)
