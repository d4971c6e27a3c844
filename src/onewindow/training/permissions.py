"""Who sees and plans training (issue #14 part 5).

- The center manager (``CenterStaff.is_manager``; a system admin for every center) plans courses,
  sessions and attendance of the center and sees all of it (``analytics.permissions``);
- a clerk sees their own records and the sessions they are invited to;
- anyone else sees nothing (the views answer 404).
"""

from __future__ import annotations

from typing import Any

from onewindow.analytics import permissions as analytics_perms
from onewindow.centers import permissions as center_perms
from onewindow.core.actors import Actor

from .models import TrainingSession


def managed_centers(by: Actor) -> list[int]:
    return analytics_perms.managed_centers(by)


def can_manage(by: Actor, center_id: int) -> bool:
    return analytics_perms.can_manage(by, center_id)


def user_id(by: Actor) -> Any:
    user = center_perms.user_of(by)
    return None if user is None or not user.is_authenticated else user.pk


def can_see_session(by: Actor, session: TrainingSession) -> bool:
    """The center's manager, or a clerk invited to it."""
    if can_manage(by, session.center_id):
        return True
    uid = user_id(by)
    return uid is not None and session.attendances.filter(clerk_id=uid).exists()
