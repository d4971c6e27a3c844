"""Who sees and changes staffing (弹性调配, issue #15 parts 3, 5, 6).

- The center manager (``CenterStaff.is_manager``; a system admin for every center) sees the
  center's demand, proposals, rosters, live flags, advice and reports, and changes the policy,
  terms, leave and rosters (``analytics.permissions``, as training does);
- a clerk sees their own shifts only (part 3: "each clerk sees their own roster");
- anyone else, another center's manager included, sees nothing: the pages and the API answer 404
  as if the center or the row did not exist.

Pure reads; services and selectors call these before they read or write.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from onewindow.analytics import permissions as analytics_perms
from onewindow.centers import permissions as center_perms
from onewindow.core.actors import Actor
from onewindow.core.errors import NotFound


def managed_centers(by: Actor) -> list[int]:
    """Ids of the centers whose staffing ``by`` manages (all for a system admin)."""
    return analytics_perms.managed_centers(by)


def can_manage(by: Actor, center_id: int) -> bool:
    return analytics_perms.can_manage(by, center_id)


def staff_centers(by: Actor) -> list[int]:
    """Ids of the centers where ``by`` works (a clerk sees their own shifts there)."""
    return analytics_perms.staff_centers(by)


def user_id(by: Actor) -> Any:
    """The id of the user ``by`` acts as (None for anonymous or a device)."""
    user = center_perms.user_of(by)
    return None if user is None or not getattr(user, "is_authenticated", False) else user.pk


def center_not_found() -> NotFound:
    return NotFound(_("找不到该中心，或您无权查看其弹性调配。"), code="staffing_center_not_found")


def require_manager(by: Actor, center_id: Any) -> int:
    """The center's id if ``by`` manages it; else 404 ``staffing_center_not_found`` (as if absent)."""
    raw = str(center_id) if center_id is not None else ""
    if not raw.isdigit() or len(raw) > 18 or not can_manage(by, int(raw)):
        raise center_not_found()
    return int(raw)


def can_see_shift(by: Actor, center_id: int, clerk_id: Any) -> bool:
    """The center's manager, or the clerk whose shift it is."""
    if can_manage(by, center_id):
        return True
    uid = user_id(by)
    return uid is not None and uid == clerk_id
