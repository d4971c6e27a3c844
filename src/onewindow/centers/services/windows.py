"""Window management (窗口管理, 弹性调配): open, pause and close windows; change the categories a
window serves during the day; put a clerk on duty; a clerk's sign-in and sign-out at a window
(上岗签到 / 离岗签退). Actors: the center manager (any window) and the clerk on duty (open/pause/close
of their own window); any clerk of the center signs themself in and out.

Every state change and sign-in/out appends a ``WindowEvent`` in the same transaction: the facts of
time on duty (issue #14 part 3, seed: 工作人员有效受理时长). A clerk is signed in at one window at a
time: signing in at another window signs them out of the first (reason ``moved``); closing a window
signs its clerk out (reason ``closed``). A sign-in of an earlier day is over (nobody stays signed in
past midnight)."""

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
from ..choices import TicketStatus, WindowEventAction, WindowState
from ..models import Center, CenterStaff, Ticket, TicketCategory, Window, WindowDuty, WindowEvent

A = WindowEventAction


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
        if before != state:
            _state_event(by, window, before, state)
        audit_record(actor=perms.user_of(by), action="centers.window.state", target=window,
                     before={"state": before}, after={"state": state})
    return window


def _state_event(by: Actor, window: Window, before: str, state: str) -> None:
    """The WindowEvent of a state change (open / pause / resume / close); a close also signs out
    the clerk signed in at the window."""
    now = timezone.now()
    if state == WindowState.OPEN:
        action = A.RESUME if before == WindowState.PAUSED else A.OPEN
    else:
        action = A.PAUSE if state == WindowState.PAUSED else A.CLOSE
    actor = perms.user_of(by)
    WindowEvent.objects.create(center_id=window.center_id, window=window, action=action, actor=actor, at=now)
    if action == A.CLOSE:
        clerk_id = signed_in_at(window.pk, now)
        if clerk_id is not None:
            WindowEvent.objects.create(center_id=window.center_id, window=window, action=A.SIGN_OUT,
                                       clerk_id=clerk_id, actor=actor, reason="closed", at=now)


def _last_sign(now: datetime.datetime, **where: Any) -> WindowEvent | None:
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
    return (WindowEvent.objects.filter(action__in=[A.SIGN_IN, A.SIGN_OUT], at__gte=start, **where)
            .order_by("-at", "-id").first())


def signed_in_at(window_id: int, now: datetime.datetime | None = None) -> int | None:
    """The id of the clerk signed in at the window today, if any (read inside a service's lock)."""
    event = _last_sign(now or timezone.now(), window_id=window_id)
    return event.clerk_id if event is not None and event.action == A.SIGN_IN else None


def clerk_window(clerk_id: int, now: datetime.datetime | None = None) -> int | None:
    """The id of the window the clerk is signed in at today, if any."""
    event = _last_sign(now or timezone.now(), clerk_id=clerk_id)
    return event.window_id if event is not None and event.action == A.SIGN_IN else None


def _clerk_of(by: Actor, window: Window) -> User:
    user = perms.user_of(by)
    if user is None or not perms.is_center_staff(by, window.center_id):
        raise PermissionDenied(_("您不是该中心的工作人员。"), code="not_center_staff")
    # one sign-in at a time per clerk: the clerk's row is the lock of their sign-ins
    locked: User = User.objects.select_for_update().get(pk=user.pk)
    return locked


def clerk_sign_in(*, by: Actor, window_id: Any) -> WindowEvent:
    """上岗签到: the clerk (``by``) starts time on duty at a window of their center. 404
    window_not_found; 403 not_center_staff; 409 already_signed_in (here), window_signed_in (another
    clerk is signed in at this window). Signed in at another window: signed out there first."""
    with transaction.atomic():
        window = _window(window_id)
        clerk = _clerk_of(by, window)
        now = timezone.now()
        holder = signed_in_at(window.pk, now)
        if holder == clerk.pk:
            raise Conflict(_("您已在本窗口签到。"), code="already_signed_in")
        if holder is not None:
            raise Conflict(_("已有其他工作人员在本窗口签到。"), code="window_signed_in")
        previous = clerk_window(clerk.pk, now)
        if previous is not None:
            old = Window.objects.select_for_update().get(pk=previous)
            if Ticket.objects.filter(window=old, status__in=[TicketStatus.CALLED, TicketStatus.SERVING]).exists():
                raise Conflict(_("您在其他窗口还有正在办理的排队号，请先办结或转移。"), code="window_busy")
            WindowEvent.objects.create(center_id=old.center_id, window=old, action=A.SIGN_OUT, clerk=clerk,
                                       actor=clerk, reason="moved", at=now)
        event = WindowEvent.objects.create(center_id=window.center_id, window=window, action=A.SIGN_IN,
                                           clerk=clerk, actor=clerk, at=now)
        audit_record(actor=clerk, action="centers.window.sign_in", target=window,
                     before={"window": previous}, after={"window": window.pk})
    return event


def clerk_sign_out(*, by: Actor, window_id: Any) -> WindowEvent:
    """离岗签退: the clerk (``by``) ends time on duty at the window. 404 window_not_found; 403
    not_center_staff; 409 not_signed_in (not signed in here), window_busy (a ticket is still called
    or served at the window)."""
    with transaction.atomic():
        window = _window(window_id)
        clerk = _clerk_of(by, window)
        now = timezone.now()
        if signed_in_at(window.pk, now) != clerk.pk:
            raise Conflict(_("您没有在本窗口签到。"), code="not_signed_in")
        if Ticket.objects.filter(window=window, status__in=[TicketStatus.CALLED, TicketStatus.SERVING]).exists():
            raise Conflict(_("窗口还有正在办理的排队号，请先办结或转移。"), code="window_busy")
        event = WindowEvent.objects.create(center_id=window.center_id, window=window, action=A.SIGN_OUT,
                                           clerk=clerk, actor=clerk, at=now)
        audit_record(actor=clerk, action="centers.window.sign_out", target=window,
                     before={"window": window.pk}, after={"window": None})
    return event


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


def duties_replace(*, by: Actor, center_id: Any, day: datetime.date,
                   duties: list[tuple[Any, Any]]) -> list[WindowDuty]:
    """排班发布: replace a center's whole duty plan of ``day`` by ``duties`` ((window id, clerk id)
    pairs) — what publishing a roster does (issue #15 part 3). The center manager only; every
    window must be the center's and every clerk a valid clerk of it, each at most once (422
    ``duty_invalid``); a clerk on duty at another center that day is refused (409 ``duty_taken``).
    One transaction: a refusal leaves the day's plan as it was. Audited ``centers.duty.replace``
    with the plan before and after."""
    with transaction.atomic():
        center_pk = as_id(center_id)
        if not perms.is_center_manager(by, center_pk):
            raise PermissionDenied(_("只有中心负责人可以排班。"), code="not_center_manager")
        pairs = [(as_id(w), as_id(u)) for w, u in duties]
        windows = set(Window.objects.filter(center_id=center_pk, pk__in=[w for w, _u in pairs])
                      .values_list("pk", flat=True))
        staff = set(CenterStaff.objects.filter(center_id=center_pk, valid=True, user__is_active=True,
                                               user_id__in=[u for _w, u in pairs]).values_list("user_id", flat=True))
        if (any(w not in windows or u not in staff for w, u in pairs)
                or len({w for w, _u in pairs}) < len(pairs) or len({u for _w, u in pairs}) < len(pairs)):
            raise DomainError(_("排班中的窗口或人员无效，或同一窗口、同一人员出现两次。"), code="duty_invalid",
                              status=422, fields={"duties": [_("请检查窗口和人员。")]})
        if WindowDuty.objects.filter(date=day, user_id__in=[u for _w, u in pairs]).exclude(
                window__center_id=center_pk).exists():
            raise Conflict(_("有人员当天已在其他中心当班。"), code="duty_taken")
        current = WindowDuty.objects.select_for_update().filter(window__center_id=center_pk, date=day)
        before = sorted(current.values_list("window_id", "user_id"))
        current.delete()
        created = WindowDuty.objects.bulk_create([WindowDuty(window_id=w, user_id=u, date=day) for w, u in pairs])
        audit_record(actor=perms.user_of(by), action="centers.duty.replace", target=Center.objects.get(pk=center_pk),
                     after={"date": day.isoformat(), "before": [list(p) for p in before],
                            "after": sorted([list(p) for p in pairs])})
    return created
