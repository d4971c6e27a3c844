"""Window management (窗口管理, 弹性调配): open, pause and close windows; change the categories a
window serves during the day; put a clerk on duty. Actors: the center manager (any window) and
the clerk on duty (open/pause/close of their own window)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import User
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from .. import permissions as perms
from ..choices import TicketStatus, WindowState
from ..models import CenterStaff, Ticket, TicketCategory, Window, WindowDuty


def _window(window_id: Any) -> Window:
    window = Window.objects.select_for_update().filter(pk=as_id(window_id)).first()
    if window is None:
        raise NotFound(_("找不到该窗口。"), code="window_not_found")
    return window


def window_set_state(*, by: Actor, window_id: Any, state: str) -> Window:
    """开窗 / 暂停 / 关窗. A window still calling or serving someone cannot be closed."""
    if state not in WindowState.values:
        raise DomainError(_("不支持的窗口状态。"), code="window_state_invalid", status=422,
                          fields={"state": [_("请从给定选项中选择。")]})
    with transaction.atomic():
        window = _window(window_id)
        on_duty = WindowDuty.objects.filter(window=window, user=perms.user_of(by), date=timezone.localdate()).exists()
        staff = perms.is_center_staff(by, window.center_id)
        if not (perms.is_center_manager(by, window.center_id) or (on_duty and staff)):
            raise PermissionDenied(_("只有中心负责人或当班人员可以开关窗口。"), code="not_window_manager")
        if state == WindowState.CLOSED and Ticket.objects.filter(
                window=window, status__in=[TicketStatus.CALLED, TicketStatus.SERVING]).exists():
            raise Conflict(_("窗口还有正在办理的排队号，请先办结或转移。"), code="window_busy")
        before = window.state
        window.state = state
        window.save(update_fields=["state"])
        audit_record(actor=perms.user_of(by), action="centers.window.state", target=window,
                     before={"state": before}, after={"state": state})
    return window


def window_set_categories(*, by: Actor, window_id: Any, category_ids: list[Any]) -> Window:
    """弹性调配: the manager changes which categories a window serves, effective at the next call."""
    with transaction.atomic():
        window = _window(window_id)
        if not perms.is_center_manager(by, window.center_id):
            raise PermissionDenied(_("只有中心负责人可以调整窗口业务。"), code="not_center_manager")
        ids = {int(c) for c in category_ids if str(c).isdigit()}
        categories = list(TicketCategory.objects.filter(center_id=window.center_id, pk__in=ids, is_active=True))
        if len(categories) != len(ids) or len(ids) != len(category_ids) or not categories:
            raise DomainError(_("请选择本中心的有效排队类别（至少一个）。"), code="categories_invalid", status=422,
                              fields={"category_ids": [_("请从给定选项中选择。")]})
        before = sorted(window.categories.values_list("prefix", flat=True))
        window.categories.set(categories)
        audit_record(actor=perms.user_of(by), action="centers.window.categories", target=window,
                     before={"categories": before}, after={"categories": sorted(c.prefix for c in categories)})
    return window


def duty_assign(*, by: Actor, window_id: Any, user_id: Any, day: datetime.date) -> WindowDuty:
    """排班: put a clerk of the center on a window for a day (one clerk a window, one window a clerk)."""
    with transaction.atomic():
        window = _window(window_id)
        if not perms.is_center_manager(by, window.center_id):
            raise PermissionDenied(_("只有中心负责人可以排班。"), code="not_center_manager")
        clerk = User.objects.filter(pk=as_id(user_id), is_active=True).first()
        if clerk is None or not CenterStaff.objects.filter(center_id=window.center_id, user=clerk, valid=True).exists():
            raise DomainError(_("只能安排本中心的工作人员。"), code="clerk_invalid", status=422,
                              fields={"user_id": [_("请从给定选项中选择。")]})
        try:
            with transaction.atomic():
                duty = WindowDuty.objects.create(window=window, user=clerk, date=day)
        except IntegrityError:
            raise Conflict(_("该窗口当天已有人当班，或此人当天已在其他窗口当班。"), code="duty_taken") from None
        audit_record(actor=perms.user_of(by), action="centers.duty.assign", target=window,
                     after={"user": clerk.pk, "date": day.isoformat()})
    return duty
