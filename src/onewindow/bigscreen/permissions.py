"""Who sees and runs the big-data display (issue #16).

- Anyone, logged in or not, sees an area's crowd page with small counts redacted ("<k", FlowKit's
  rule): the public screen of a business district shows only aggregates.
- Staff (any staff role) see the service wall and the crowd pages without redaction; a bound big
  screen (a hall-display device with a :class:`~onewindow.bigscreen.models.Screen`) sees what its
  panels show, redacted.
- An operator (system admin, or a center manager) puts an emergency message over every screen
  and configures screens; only a system admin registers crowd sources (each holds a token) and
  areas. Refusals of pages and the API answer 404 for rows the caller may not see, 403 for an
  operation the caller may not run.

Pure reads; services and selectors call these before they read or write.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind as StaffRole
from onewindow.core.actors import Actor
from onewindow.core.errors import PermissionDenied


def is_staff(by: Actor) -> bool:
    """A logged-in member of staff (any staff role)."""
    user = account_perms.as_user(by)
    return user is not None and account_perms.is_staff_member(user)


def can_view_wall(by: Actor) -> bool:
    return is_staff(by)


def can_view_unredacted(by: Actor) -> bool:
    return is_staff(by)


def can_operate(by: Actor) -> bool:
    """Emergency messages and screens: a system admin or a center manager."""
    user = account_perms.as_user(by)
    return user is not None and (account_perms.is_system_admin(user)
                                 or account_perms.has_role(user, StaffRole.CENTER_MANAGER))


def can_manage_sources(by: Actor) -> bool:
    """Areas, zones and crowd sources (each source holds an API token): a system admin."""
    user = account_perms.as_user(by)
    return user is not None and account_perms.is_system_admin(user)


def require_operator(by: Actor) -> None:
    if not can_operate(by):
        raise PermissionDenied(_("只有系统管理员或中心负责人可以操作大屏。"), code="bigscreen_operator_only")


def require_source_admin(by: Actor) -> None:
    if not can_manage_sources(by):
        raise PermissionDenied(_("只有系统管理员可以管理客流数据源。"), code="bigscreen_admin_only")
