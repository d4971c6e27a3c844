"""Who may act on a 差评回访: the actor kinds of ``workflow.ACTORS`` and who may see a follow-up.

The handlers of a follow-up are the department admins and center managers whose role covers the
rated body (``accounts.permissions.has_role_in_scope``: the department itself, or a region that
contains it), and system admins. The same scope lists the follow-ups in ``selectors``.
"""

from __future__ import annotations

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.core.actors import Actor, is_system
from onewindow.core.models import Department

HANDLER_ROLES = (StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.CENTER_MANAGER)


def actor_kinds(by: Actor, department: Department | None) -> set[str]:
    """The workflow actor kinds ``by`` holds for a follow-up of ``department``: ``system`` for the
    system actor; otherwise ``rater`` (anyone may give the rating that opens a follow-up; the
    domain app checks who may rate what), plus ``system_admin`` for a system admin or ``handler``
    for a department admin or center manager covering the department."""
    if is_system(by):
        return {"system"}
    kinds = {"rater"}
    if account_perms.is_system_admin(by):
        kinds.add("system_admin")
    elif department is not None and account_perms.has_role_in_scope(by, HANDLER_ROLES, department=department):
        kinds.add("handler")
    return kinds


def may_see(kinds: set[str]) -> bool:
    """Whether an actor with ``kinds`` sees the follow-up at all (its handlers, system admins and
    the system); anyone else is told it does not exist."""
    return bool(kinds & {"handler", "system_admin", "system"})


def holds_handler_role(by: Actor) -> bool:
    """Whether ``by`` handles follow-ups somewhere (so one out of their scope is "not found" to
    them, while anyone else is refused the follow-ups altogether)."""
    return account_perms.is_system_admin(by) or bool(account_perms.role_names(by) & set(HANDLER_ROLES))
