"""Who may see and act in supervision (NetBox-style ``restrict``: querysets scoped to the user).

- **Supervision staff** hold a 监管人员 (regulator), 数据报送员 (data clerk) or 部门管理员 role
  in a department. Under 信息共享 (issue #11 part 4) every supervising department sees every
  双告知 task and notice and the officer roster; each acts only for its own department.
- A task's own department (``department`` actor) receives and answers it; a regulator or
  department admin of any department (``claimer``) claims a task of the 认领 pool for their
  department (DOMAIN.md R5.1).
- Officers are added and changed by their department's admin (or a system admin); a conflict is
  declared by the officer themself or their department's admin.
- The 双告知 rules are edited by system admins only.
- A market entity sees its own notices (告知申请人) through its agents: a login of the
  organization, or a person holding a valid mandate for it.
- System admins read everything but answer for no department.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Mandate, valid_mandates_q
from onewindow.cases.permissions import staff_department_ids

from .models import DualNotice, DualNoticeTask, Officer

SUPERVISION_ROLES: tuple[str, ...] = (StaffRoleKind.REGULATOR, StaffRoleKind.DATA_CLERK, StaffRoleKind.DEPARTMENT_ADMIN)
TASK_ROLES = SUPERVISION_ROLES
CLAIM_ROLES: tuple[str, ...] = (StaffRoleKind.REGULATOR, StaffRoleKind.DEPARTMENT_ADMIN)
OFFICER_ADMIN_ROLES: tuple[str, ...] = (StaffRoleKind.DEPARTMENT_ADMIN,)


def department_ids(user: Any, roles: tuple[str, ...] = SUPERVISION_ROLES) -> set[int]:
    """The departments the user's own roles among ``roles`` cover (a system admin's blanket view
    does not count: it acts for no department)."""
    return staff_department_ids(user, roles, admin_sees_all=False) or set()


def is_supervision_staff(user: Any) -> bool:
    """Supervision staff of some department, or a system admin (reads every task and officer)."""
    return account_perms.is_system_admin(user) or bool(department_ids(user))


def task_queryset_for(user: Any) -> QuerySet[DualNoticeTask]:
    """Every task for supervision staff and system admins (信息共享); nothing for anyone else."""
    if is_supervision_staff(user):
        return DualNoticeTask.objects.all()
    return DualNoticeTask.objects.none()


def actor_kinds(user: Any, task: DualNoticeTask) -> set[str]:
    """The workflow actor kinds (``workflow.ACTORS``) the user holds for this task."""
    kinds: set[str] = set()
    if account_perms.as_user(user) is None:
        return kinds
    if task.department_id is not None and task.department_id in department_ids(user, TASK_ROLES):
        kinds.add("department")
    if department_ids(user, CLAIM_ROLES):
        kinds.add("claimer")
    return kinds


def entity_organization_ids(user: Any) -> set[int]:
    """The organizations the user acts for as their agent (own organization, valid mandates)."""
    u = account_perms.as_user(user)
    if u is None:
        return set()
    ids: set[int] = set()
    if u.organization_id:
        ids.add(u.organization_id)
    if u.person_id:
        ids |= set(
            Mandate.objects.filter(
                valid_mandates_q(timezone.localdate()), agent_id=u.person_id, principal_organization__isnull=False
            ).values_list("principal_organization_id", flat=True)
        )
    return ids


def notice_queryset_for(user: Any) -> QuerySet[DualNotice]:
    """Every notice for supervision staff; an entity's agents see the entity's own notices."""
    if is_supervision_staff(user):
        return DualNotice.objects.all()
    org_ids = entity_organization_ids(user)
    if not org_ids:
        return DualNotice.objects.none()
    return DualNotice.objects.filter(organization_id__in=org_ids)


def officer_queryset_for(user: Any) -> QuerySet[Officer]:
    """The roster is shared by every supervising department (draws across departments)."""
    if is_supervision_staff(user):
        return Officer.objects.all()
    return Officer.objects.none()


def may_manage_officers(user: Any, department_id: int) -> bool:
    """A department admin of the officer's department, or a system admin."""
    return account_perms.is_system_admin(user) or department_id in department_ids(user, OFFICER_ADMIN_ROLES)


def may_declare_conflict(user: Any, officer: Officer) -> bool:
    """The officer themself, their department's admin, or a system admin."""
    u = account_perms.as_user(user)
    if u is None:
        return False
    return (officer.user_id is not None and officer.user_id == u.pk) or may_manage_officers(u, officer.department_id)


def may_manage_rules(user: Any) -> bool:
    """The 双告知 mapping table is platform configuration: system admins only."""
    return account_perms.is_system_admin(user)


def staff_filter(user: Any) -> Q:
    """A Q over tasks of the user's own departments (the queue 我的待办)."""
    return Q(department_id__in=department_ids(user, TASK_ROLES))
