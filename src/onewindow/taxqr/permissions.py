"""Who may do what in taxqr (issue #5).

- Taxpayer side (房产交易辅助): any logged-in user — a citizen, or an agency clerk (a User with an
  Organization) — fills drafts and sees only their own.
- Tax side (数据内部管理): a window clerk (受理员) or reviewer (审核员) whose department is a tax
  bureau (TaxBureau) previews, captures, lists, corrects and exports the records of that bureau;
  a system admin lists, reads and exports every bureau's records (but captures nothing: a record
  belongs to the window that scanned it). Unmasked ID numbers: the bureau's clerks and reviewers
  and system admins, on the detail view only, audited (个人信息保护法 art. 51).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.core.actors import is_system
from onewindow.core.errors import PermissionDenied

from . import workflow
from .models import ClientDraft, TaxBureau, TaxRecord

TAX_ROLES = (StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER)
ROLE_KINDS = {StaffRoleKind.WINDOW_CLERK: workflow.TAX_CLERK, StaffRoleKind.REVIEWER: workflow.REVIEWER}


def bureaus_of(user: Any) -> list[TaxBureau]:
    """The tax bureaus where ``user`` holds a valid clerk or reviewer role."""
    department_ids = {r.department_id for r in account_perms.valid_roles(user)
                      if r.role in TAX_ROLES and r.department_id is not None}
    if not department_ids:
        return []
    return list(TaxBureau.objects.filter(department_id__in=department_ids).select_related("department__region"))


def is_admin(user: Any) -> bool:
    return account_perms.is_system_admin(user)


def require_user(user: Any) -> Any:
    u = account_perms.as_user(user)
    if u is None:
        raise PermissionDenied(_("请先登录。"), code="unauthenticated", status=401)
    return u


def require_window_bureau(user: Any) -> TaxBureau:
    """The bureau in whose name ``user`` scans at a window, or ``not_tax_staff`` (403)."""
    require_user(user)
    bureaus = bureaus_of(user)
    if not bureaus:
        raise PermissionDenied(_("只有税务机关的受理员或审核员可以扫码采集房交信息。"), code="not_tax_staff")
    return sorted(bureaus, key=lambda b: b.short_code)[0]


def require_tax_reader(user: Any) -> None:
    """Listing records: the bureau's staff or a system admin, else ``not_tax_staff`` (403)."""
    require_user(user)
    if not is_admin(user) and not bureaus_of(user):
        raise PermissionDenied(_("只有税务机关工作人员可以查看房交信息。"), code="not_tax_staff")


def record_queryset_for(user: Any) -> QuerySet[TaxRecord]:
    """Records ``user`` may see: their bureaus' (clerk, reviewer), all (system admin), none else."""
    if account_perms.as_user(user) is None:
        return TaxRecord.objects.none()
    if is_admin(user):
        return TaxRecord.objects.all()
    return TaxRecord.objects.filter(bureau__in=bureaus_of(user))


def can_unmask(user: Any) -> bool:
    return is_admin(user) or bool(bureaus_of(user))


def draft_actor_kinds(by: Any, draft: ClientDraft) -> set[str]:
    """The actor kinds (workflow.py) of ``by`` on a draft: ``taxpayer`` for its owner."""
    if is_system(by):
        return {workflow.SYSTEM}
    user = account_perms.as_user(by)
    return {workflow.TAXPAYER} if user is not None and draft.owner_id == user.pk else set()


def bureau_actor_kinds(by: Any, bureau_department_id: int) -> set[str]:
    """The actor kinds of ``by`` at the bureau whose department is ``bureau_department_id``:
    ``tax_clerk`` / ``reviewer`` by their valid roles there, ``admin`` for a system admin."""
    if is_system(by):
        return {workflow.SYSTEM}
    kinds = {ROLE_KINDS[StaffRoleKind(r.role)] for r in account_perms.valid_roles(by)
             if r.role in TAX_ROLES and r.department_id == bureau_department_id}
    if is_admin(by):
        kinds.add(workflow.ADMIN)
    return kinds
