"""Who may change the service catalog: the actor kinds of ``workflow.ACTORS``.

The catalog is public to read (``selectors``), so there is no visibility check here: every
caller may see an item, and an actor without a kind is refused with 403.
"""

from __future__ import annotations

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.core.actors import Actor, is_system
from onewindow.core.models import Department


def actor_kinds(by: Actor, department: Department) -> set[str]:
    """The workflow actor kinds ``by`` holds for an item of ``department``: ``system`` for the
    system actor; ``system_admin`` for a system admin; ``department_admin`` for a department admin
    whose role covers the department (the department itself, or a region above it). Anonymous
    visitors, devices and every other role hold none."""
    if is_system(by):
        return {"system"}
    kinds: set[str] = set()
    if account_perms.is_system_admin(by):
        kinds.add("system_admin")
    elif account_perms.has_role_in_scope(by, [StaffRoleKind.DEPARTMENT_ADMIN], department=department):
        kinds.add("department_admin")
    return kinds
