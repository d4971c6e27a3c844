"""Who may see and act on a case (NetBox-style ``restrict``: querysets scoped to the user).

- The applicant side: the owning login, the applicant person's login, an agent login of the
  applicant organization (user.organization) or holding a valid mandate, and the submitting login.
- Staff: a role whose scope (department, or a region containing the department) covers the
  receiving body or the handling body. Receivers accept, correct, refuse, forward and deliver;
  handlers review and decide; department admins (the agency head, 行政许可法 art. 42) extend and
  reassign. System admins see everything but act only as these roles would.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Mandate, valid_mandates_q
from onewindow.core.models import Department

from .models import Case

CASE_ROLES = (StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER, StaffRoleKind.CENTER_MANAGER,
              StaffRoleKind.DEPARTMENT_ADMIN)
RECEIVER_ROLES = (StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER, StaffRoleKind.DEPARTMENT_ADMIN)
HANDLER_ROLES = (StaffRoleKind.REVIEWER, StaffRoleKind.DEPARTMENT_ADMIN)
HEAD_ROLES = (StaffRoleKind.DEPARTMENT_ADMIN,)


def staff_department_ids(user: Any, roles: tuple[str, ...] = CASE_ROLES, *,
                         admin_sees_all: bool = True) -> set[int] | None:
    """Departments covered by the user's roles among ``roles`` (``accounts.permissions.departments_covered``)."""
    return account_perms.departments_covered(user, roles, admin_sees_all=admin_sees_all)


def _in(ids: set[int] | None, department_id: int) -> bool:
    return ids is None or department_id in ids


def applicant_q(user: Any) -> Q:
    """The cases a non-staff login may see as applicant, agent or submitter."""
    u = account_perms.as_user(user)
    if u is None:
        return Q(pk__in=[])
    q = Q(owner_id=u.pk) | Q(submitter_id=u.pk)
    if u.person_id:
        q |= Q(applicant_person_id=u.person_id) | Q(agent_id=u.person_id)
        org_ids = Mandate.objects.filter(valid_mandates_q(timezone.localdate()), agent_id=u.person_id,
                                         principal_organization__isnull=False).values("principal_organization_id")
        q |= Q(applicant_organization_id__in=org_ids)
    if u.organization_id:
        q |= Q(applicant_organization_id=u.organization_id)
    return q


#: An online draft is the applicant's own until submitted: staff in scope do not see it.
PRIVATE_DRAFT = Q(status="draft", channel__in=["online", "wechat"])


def case_queryset_for(user: Any) -> QuerySet[Case]:
    """Every case the user may see: their own as applicant side, and those in their staff scope
    (except online drafts, which are the applicant's own until submitted)."""
    u = account_perms.as_user(user)
    if u is None:
        return Case.objects.none()
    ids = staff_department_ids(u)
    if ids is None:
        return Case.objects.all()
    q = applicant_q(u)
    if ids:
        q |= (Q(receiving_department_id__in=ids) | Q(handling_department_id__in=ids)) & ~PRIVATE_DRAFT
    return Case.objects.filter(q)


def staff_case_queryset_for(user: Any) -> QuerySet[Case]:
    """The cases in the user's staff scope only (the inbox): receiving or handling body covered."""
    return staff_cases_in(staff_department_ids(user))


def staff_cases_in(ids: set[int] | None) -> QuerySet[Case]:
    """The cases of a staff scope given as its ``staff_department_ids`` (for a caller that has them
    already: a region scope costs queries to walk)."""
    if ids is None:
        return Case.objects.all()
    if not ids:
        return Case.objects.none()
    return Case.objects.filter(Q(receiving_department_id__in=ids) | Q(handling_department_id__in=ids)).exclude(
        PRIVATE_DRAFT)


def is_applicant_side(user: Any, case: Case) -> bool:
    u = account_perms.as_user(user)
    if u is None:
        return False
    if u.pk in (case.owner_id, case.submitter_id):  # applicant_q's first terms, answered without a query
        return True
    return Case.objects.filter(applicant_q(u), pk=case.pk).exists()


def actor_kinds(user: Any, case: Case) -> set[str]:
    """The workflow actor kinds (see workflow.ACTORS) the user holds for this case. On an online
    draft only the applicant side acts: staff neither see nor touch it until it is submitted."""
    kinds: set[str] = set()
    u = account_perms.as_user(user)
    if u is None:
        return kinds
    if is_applicant_side(u, case):
        kinds.add("applicant")
    if case.status == "draft" and case.channel in ("online", "wechat"):
        return kinds
    if _in(staff_department_ids(u, RECEIVER_ROLES), case.receiving_department_id):
        kinds.add("receiver")
    if _in(staff_department_ids(u, HANDLER_ROLES), case.handling_department_id):
        kinds.add("handler")
    if _in(staff_department_ids(u, HEAD_ROLES), case.handling_department_id):
        kinds.add("head")
    return kinds


def may_receive_for(user: Any, department: Department) -> bool:
    """A window clerk (or reviewer/admin) of ``department`` may enter cases received there."""
    return _in(staff_department_ids(user, RECEIVER_ROLES), department.pk)


#: Roles whose holders may see a case's application form unmasked: those who receive or decide it.
FORM_UNMASK_ROLES = (*RECEIVER_ROLES, *HANDLER_ROLES)


def form_unmask_department(user: Any, case: Case) -> int | None:
    """The department through which ``user`` may see the case's form unmasked: the receiving or
    handling body, covered by one of the user's own receiver or handler roles; None otherwise.
    A system admin's blanket view of every case does not count (个人信息保护法 art. 6, minimum
    necessary: the people working on the case, nobody else)."""
    ids = staff_department_ids(user, FORM_UNMASK_ROLES, admin_sees_all=False) or set()
    for department_id in (case.receiving_department_id, case.handling_department_id):
        if department_id in ids:
            return department_id
    return None
