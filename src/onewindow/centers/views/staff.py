"""Staff pages of the service centers: the window terminal (窗口叫号终端) and the manager's view
(中心现场管理). Issue #4 parts 4 and 7.

Actors: window clerks of the center (CenterStaff), its manager, system admins. Anonymous visitors
are sent to the login page; anyone who is not staff of the window's center gets a 403 page (a
clerk of another center included); an unknown window or center answers 404. Views parse, call
one service or read, and render; a refusal (DomainError) re-renders the page with its message and
HTTP status (409 window_busy, queue_empty, …) — never a 500, and nothing is written.

The terminal is built for the keyboard (a clerk calls hundreds of numbers a day): N or F1 calls
the next, R recalls, S skips, B starts, F finishes, T goes to the transfer form; the keys are
shown on the buttons (and are ``accesskey`` too).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.accounts.session_timeout import background_poll
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import limits, selectors, services
from .. import permissions as perms
from ..choices import TicketAction, TicketStatus, WindowState
from ..models import Center

S = TicketStatus

#: The ticket actions of the terminal (``/centers/window/<id>/ticket/<action>/``) and their service.
TICKET_ACTIONS: dict[str, Callable[..., Any]] = {
    TicketAction.RECALL: services.ticket_recall,
    TicketAction.SKIP: services.ticket_skip,
    TicketAction.REQUEUE: services.ticket_requeue,
    TicketAction.START: services.ticket_start,
    TicketAction.FINISH: services.ticket_finish,
    TicketAction.TRANSFER: services.ticket_transfer,
}


def _int(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else 0


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "centers/staff/error.html", {"error": exc}, status=exc.status)


def _minutes(start: datetime.datetime | None, end: datetime.datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, int((end - start).total_seconds() // 60))


# ---- reads of the terminal: selectors.desk_for, selectors.window_for ---------------------------------

_name = selectors.user_name


# ---- the window terminal -------------------------------------------------------------------------

def _terminal(request: HttpRequest, window_id: Any, error: DomainError | None = None,
              failed: str = "") -> HttpResponse:
    try:
        desk = selectors.desk_for(request.user, window_id)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "centers/staff/window.html", {
        "desk": desk, "error": error, "failed": failed, "states": WindowState.choices,
        "statuses": dict(S.choices)}, status=error.status if error else 200)


@login_required
@require_GET
def window_terminal(request: HttpRequest, window_id: int) -> HttpResponse:
    """窗口叫号终端: the clerk's screen of one window."""
    return _terminal(request, window_id)


@login_required
@require_GET
def my_windows(request: HttpRequest) -> HttpResponse:
    """The windows of the centers the user works in; the window on duty today opens directly."""
    duty = selectors.duty_today_for(request.user)
    if duty is not None and request.GET.get("all") != "1":
        return redirect("centers:desk-window", window_id=duty.window_id)
    if not perms.centers_of(request.user):
        return _error(request, PermissionDenied(_("您不是服务中心的工作人员。"), code="not_center_staff"))
    windows, managed = selectors.staff_windows_for(request.user)
    return render(request, "centers/staff/windows.html", {"windows": windows, "managed": managed})


@login_required
@require_POST
def window_call(request: HttpRequest, window_id: int) -> HttpResponse:
    """叫号: the next ticket for this window (ticket_call_next)."""
    try:
        ticket = services.ticket_call_next(by=request.user, window_id=window_id)
    except DomainError as exc:
        return _terminal(request, window_id, exc, "call")
    messages.success(request, gettext("已叫号：%(n)s") % {"n": ticket.display})
    return redirect("centers:desk-window", window_id=window_id)


@login_required
@require_POST
def ticket_action(request: HttpRequest, window_id: int, action: str) -> HttpResponse:
    """One step of the current ticket: recall, skip, requeue, start, finish (with cases), transfer."""
    service = TICKET_ACTIONS.get(action)
    if service is None:
        return _error(request, NotFound(_("找不到该操作。"), code="action_not_found"))
    post = request.POST
    kwargs: dict[str, Any] = {}
    if action == TicketAction.FINISH:
        kwargs["case_ids"] = [_int(v) for v in post.getlist("case") if _int(v)]
    if action == TicketAction.TRANSFER:
        kwargs["to_category_id"] = post.get("to_category", "")[:12] or None
        kwargs["to_window_id"] = post.get("to_window", "")[:12] or None
    try:
        selectors.window_for(request.user, window_id)
        ticket = service(by=request.user, ticket_id=_int(post.get("ticket")), **kwargs)
    except DomainError as exc:
        return _terminal(request, window_id, exc, action)
    messages.success(request, gettext("%(n)s：%(a)s") % {"n": ticket.display, "a": TicketAction(action).label})
    return redirect("centers:desk-window", window_id=window_id)


@login_required
@require_POST
def window_state(request: HttpRequest, window_id: int) -> HttpResponse:
    """开窗 / 暂停 / 关窗 from the terminal (the clerk on duty or the manager)."""
    try:
        window = services.window_set_state(by=request.user, window_id=window_id,
                                           state=request.POST.get("state", "")[:10])
    except DomainError as exc:
        return _terminal(request, window_id, exc, "state")
    messages.success(request, gettext("窗口状态：%(s)s") % {"s": WindowState(window.state).label})
    return redirect("centers:desk-window", window_id=window_id)


@login_required
@require_POST
def window_sign(request: HttpRequest, window_id: int, action: str) -> HttpResponse:
    """上岗签到 / 离岗签退 from the terminal (the clerk themself)."""
    service = {"sign-in": services.clerk_sign_in, "sign-out": services.clerk_sign_out}.get(action)
    if service is None:
        return _error(request, NotFound(_("找不到该操作。"), code="action_not_found"))
    try:
        service(by=request.user, window_id=window_id)
    except DomainError as exc:
        return _terminal(request, window_id, exc, action)
    messages.success(request, gettext("已签到。") if action == "sign-in" else gettext("已签退。"))
    return redirect("centers:desk-window", window_id=window_id)


# ---- the manager's view --------------------------------------------------------------------------

_center_for = selectors.center_for


def _counts(center: Center) -> list[tuple[str, str, int]]:
    """Today's tickets per status, with the status label (selectors.today_counts)."""
    return [(value, str(S(value).label), n) for value, n in selectors.today_counts(center).items()]


def _live_rows(user: Any, center: Center) -> list[dict[str, Any]]:
    """The live table: each window with its state, categories, clerk on duty and current ticket —
    a constant number of queries whatever the number of windows."""
    now = timezone.now()
    duties = selectors.duty_names_for(center, timezone.localdate())
    rows = []
    for live in selectors.center_live_for(user, center.pk):
        rows.append({"live": live, "duty": duties.get(live.window.pk, ""),
                     "minutes": _minutes(live.since, now) if live.since else None})
    return rows


def _manage_context(request: HttpRequest, center_id: Any) -> dict[str, Any]:
    center = _center_for(request.user, center_id)
    manager = perms.is_center_manager(request.user, center)
    context: dict[str, Any] = {
        "center": center, "is_manager": manager, "rows": _live_rows(request.user, center),
        "board": selectors.center_board(center.code), "counts": _counts(center),
        "statuses": S.choices, "states": WindowState.choices, "today": timezone.localdate()}
    if manager:
        context["categories"] = selectors.active_categories(center)
        context["staff"] = selectors.center_staff_choices(center)
        # Abuse of the public devices (decision 0008): who takes many tickets, and the devices.
        context["flooding"] = selectors.queue_flooding_for(request.user, center)
        context["flood_minutes"] = limits.flood("minutes")
        context["devices"] = selectors.center_devices_for(request.user, center)
    return context


def _manage(request: HttpRequest, center_id: Any, error: DomainError | None = None,
            failed: str = "") -> HttpResponse:
    try:
        context = _manage_context(request, center_id)
    except DomainError as exc:
        return _error(request, exc)
    context.update({"error": error, "failed": failed})
    return render(request, "centers/staff/manage.html", context, status=error.status if error else 200)


@login_required
@require_GET
def manage(request: HttpRequest, center_id: int) -> HttpResponse:
    """中心现场管理: all windows live, waiting per category, today's counts; the manager also
    reassigns categories (弹性调配), opens and closes windows and assigns duties. Center clerks see
    the same page read-only."""
    return _manage(request, center_id)


@background_poll
@login_required
@require_GET
def manage_live(request: HttpRequest, center_id: int) -> HttpResponse:
    """The live table alone, fetched every 2 seconds by htmx."""
    try:
        center = _center_for(request.user, center_id)
        rows = _live_rows(request.user, center)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "centers/staff/_live.html", {"center": center, "rows": rows,
                                                        "counts": _counts(center)})


def _manage_done(request: HttpRequest, center_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("centers:desk-manage", center_id=center_id)


_window_of = selectors.center_window_id  # the window must belong to the center of the page (else 404)


@login_required
@require_POST
def manage_categories(request: HttpRequest, center_id: int, window_id: int) -> HttpResponse:
    """弹性调配: the categories a window serves (window_set_categories)."""
    try:
        window = services.window_set_categories(by=request.user, window_id=_window_of(center_id, window_id),
                                                category_ids=request.POST.getlist("category")[:50])
    except DomainError as exc:
        return _manage(request, center_id, exc, f"categories-{window_id}")
    return _manage_done(request, center_id, gettext("%(w)s 号窗口的受理类别已调整。") % {"w": window.number})


@login_required
@require_POST
def manage_state(request: HttpRequest, center_id: int, window_id: int) -> HttpResponse:
    """Open, pause or close a window (window_set_state)."""
    try:
        window = services.window_set_state(by=request.user, window_id=_window_of(center_id, window_id),
                                           state=request.POST.get("state", "")[:10])
    except DomainError as exc:
        return _manage(request, center_id, exc, f"state-{window_id}")
    return _manage_done(request, center_id, gettext("%(w)s 号窗口：%(s)s")
                        % {"w": window.number, "s": WindowState(window.state).label})


@login_required
@require_POST
def manage_duty(request: HttpRequest, center_id: int) -> HttpResponse:
    """排班: put a clerk of the center on a window for a day (duty_assign)."""
    post = request.POST
    try:
        day = datetime.date.fromisoformat(post.get("day", "")[:10])
    except ValueError:
        return _manage(request, center_id, DomainError(_("请填写有效的日期。"), code="day_invalid", status=422,
                                                       fields={"day": [_("请填写有效的日期。")]}), "duty")
    try:
        duty = services.duty_assign(by=request.user, window_id=_window_of(center_id, _int(post.get("window"))),
                                    user_id=_int(post.get("user")), day=day)
    except DomainError as exc:
        return _manage(request, center_id, exc, "duty")
    return _manage_done(request, center_id, gettext("已排班：%(d)s %(w)s 号窗口 %(u)s")
                        % {"d": duty.date.isoformat(), "w": duty.window.number, "u": _name(duty.user)})


urlpatterns: list[URLPattern] = [
    path("window/", my_windows, name="desk-windows"),
    path("window/<int:window_id>/", window_terminal, name="desk-window"),
    path("window/<int:window_id>/call/", window_call, name="desk-call"),
    path("window/<int:window_id>/state/", window_state, name="desk-window-state"),
    path("window/<int:window_id>/<slug:action>/", window_sign, name="desk-window-sign"),
    path("window/<int:window_id>/ticket/<slug:action>/", ticket_action, name="desk-ticket"),
    path("<int:center_id>/manage/", manage, name="desk-manage"),
    path("<int:center_id>/manage/live/", manage_live, name="desk-manage-live"),
    path("<int:center_id>/manage/duty/", manage_duty, name="desk-manage-duty"),
    path("<int:center_id>/manage/windows/<int:window_id>/categories/", manage_categories,
         name="desk-manage-categories"),
    path("<int:center_id>/manage/windows/<int:window_id>/state/", manage_state, name="desk-manage-state"),
]
