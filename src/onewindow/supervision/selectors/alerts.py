"""Reads of 监管预警 (issue #12 part 8), scoped to the user.

- The list (:func:`alert_list_for`) is "my departments' alerts": the alerts owned by the
  departments where the user holds a supervision role (监管人员, 数据报送员, 部门管理员); a system
  admin sees every department's. Filters: rule, state, one department.
- One alert (:func:`alert_get_for`) is readable by any supervision staff and the system admin
  (信息共享, as 双告知 tasks are): another department's staff may open it, but only the owner
  department acts on it (``services.alerts``). Anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.codes import as_id
from onewindow.core.errors import NotFound
from onewindow.core.models import Department

from .. import permissions as perms
from ..models import Alert, AlertEvent
from ..models.alerts import AlertRule, AlertState


def alert_department_ids(user: Any) -> set[int] | None:
    """The departments whose alerts the list shows: the user's own; None for a system admin
    without a department role (every department)."""
    own = perms.department_ids(user)
    if not own and account_perms.is_system_admin(user):
        return None
    return own


def alert_list_for(user: Any, *, rule: str = "", state: str = "", department_id: Any = None) -> QuerySet[Alert]:
    """我的预警: the alerts of the user's departments (all for a system admin), open ones first,
    newest first; ``rule`` and ``state`` filter when valid, ``department_id`` narrows to one of
    the visible departments."""
    if not perms.is_supervision_staff(user):
        return Alert.objects.none()
    rows = Alert.objects.select_related("department")
    ids = alert_department_ids(user)
    if ids is not None:
        rows = rows.filter(department_id__in=ids)
    if department_id not in (None, ""):
        rows = rows.filter(department_id=as_id(department_id))
    if rule in AlertRule.values:
        rows = rows.filter(rule=rule)
    if state in AlertState.values:
        rows = rows.filter(state=state)
    return rows.order_by("-raised_at", "-id")


def alert_departments_for(user: Any) -> list[Department]:
    """The departments the list may be filtered by (the user's own; those with alerts for an admin)."""
    ids = alert_department_ids(user)
    if ids is None:
        ids = set(Alert.objects.order_by().values_list("department_id", flat=True).distinct())
    return list(Department.objects.filter(pk__in=ids).order_by("code"))


def alert_get_for(user: Any, alert_id: Any) -> Alert:
    """One alert for supervision staff of any department and system admins; 404 otherwise."""
    alert = None
    if perms.is_supervision_staff(user):
        alert = Alert.objects.select_related("department", "organization").filter(pk=as_id(alert_id)).first()
    if alert is None:
        raise NotFound(_("找不到该监管预警。"), code="alert_not_found")
    return alert


def alert_events_for(alert: Alert) -> QuerySet[AlertEvent]:
    """The alert's timeline, oldest first."""
    return AlertEvent.objects.filter(alert=alert).order_by("at", "id")


def open_alerts_for_organization(user: Any, organization_id: int) -> list[Alert]:
    """The entity's alerts not yet closed, newest first (for the entity profile); staff only."""
    if not perms.is_supervision_staff(user):
        return []
    rows = Alert.objects.filter(organization_id=organization_id).exclude(state=AlertState.CLOSED)
    return list(rows.select_related("department").order_by("-raised_at", "-id"))
