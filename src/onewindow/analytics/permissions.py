"""Who sees which figures of the management system (issue #14).

- A center manager (``CenterStaff.is_manager``) sees everything of their center: statistics,
  every clerk's appraisal, item decisions, the acceptance query;
- a clerk (center staff, not manager) sees their own appraisal and figures only;
- a system admin sees every center; anyone else (another center's manager included) sees nothing.

Item proposals are decided by the department that owns the item: its department admins
(``accounts.permissions``). Pure reads; views answer 404 for a center the viewer may not see.
"""

from __future__ import annotations

from typing import Any

from onewindow.accounts import permissions as account_perms
from onewindow.centers import permissions as center_perms
from onewindow.centers.models import CenterStaff
from onewindow.core.actors import Actor


def managed_centers(by: Actor) -> list[int]:
    """Ids of the centers whose figures ``by`` sees in full (all for a system admin)."""
    user = center_perms.user_of(by)
    if user is None:
        return []
    if account_perms.is_system_admin(user):
        return center_perms.centers_of(by)
    return list(CenterStaff.objects.filter(user=user, valid=True, is_manager=True)
                .values_list("center_id", flat=True))


def staff_centers(by: Actor) -> list[int]:
    """Ids of the centers where ``by`` works (a clerk sees their own figures there)."""
    if center_perms.user_of(by) is None:
        return []
    return center_perms.centers_of(by)


def can_manage(by: Actor, center_id: int) -> bool:
    return center_id in managed_centers(by)


def can_see_clerk(by: Actor, center_id: int, clerk_id: Any) -> bool:
    """The center's manager, or the clerk themself while working there."""
    if can_manage(by, center_id):
        return True
    user = center_perms.user_of(by)
    return user is not None and user.pk == clerk_id and center_id in staff_centers(by)
