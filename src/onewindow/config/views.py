"""The home page of the web shell: it composes the apps' public figures, so it lives beside the
URL configuration rather than in ``core`` (which must not import any domain app)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.http import require_GET

from onewindow.catalog.selectors import catalog_stats
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.middleware import TOO_LARGE_ERRORS, too_large_response


def home(request: HttpRequest) -> HttpResponse:
    """网上政务大厅首页: search box and the online hall's headline figures (seed article)."""
    return render(request, "home.html", {"stats": catalog_stats()})


#: The eight modules of the center's management system (seed figures.json community_center.modules),
#: each with the page that is its entry (URL name, and whether it takes the center's id).
MANAGE_MODULES: tuple[tuple[str, Any, str, bool], ...] = (
    ("statistics", _("统计分析"), "analytics:statistics", False),
    ("appraisal", _("绩效考核"), "analytics:appraisal", False),
    ("review", _("网上办理审核"), "cases:staff-inbox", False),
    ("windows", _("窗口及事项管理"), "centers:desk-manage", True),
    ("reminders", _("提醒管理"), "notifications:reminders", False),
    ("interaction", _("互动交流管理"), "interaction:manage", False),
    ("search", _("受理信息查询"), "analytics:search", False),
    ("training", _("培训管理"), "training:home", False),
)


def _module_url(name: str, with_center: bool, center_id: int) -> str:
    try:
        return reverse(name, args=[center_id]) if with_center else reverse(name)
    except NoReverseMatch:  # a module whose pages are not installed in this instance
        return ""


def _manage_center(user: Any, asked: str) -> tuple[list[Any], Any]:
    """The centers of the management home's viewer and the one shown (the first, or ``asked``):
    403 ``manage_forbidden`` for someone who works at no center, 404 for a center not theirs."""
    from onewindow.analytics.selectors import statistics as stats

    centers = stats.visible_centers(user)
    if not centers:
        raise PermissionDenied(_("只有服务中心的工作人员可以使用综合服务管理。"), code="manage_forbidden")
    if not asked:
        return centers, centers[0]
    center = next((c for c in centers if str(c.pk) == asked), None)
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="analytics_center_not_found")
    return centers, center


@login_required
@require_GET
def manage_home(request: HttpRequest) -> HttpResponse:
    """综合服务管理系统 home (issue #14 part 9): the eight modules as navigation, today live at the
    center, this month's figures, and what waits — items proposed for change, training due, open
    questions, bad-rating follow-ups, the viewer's reminders. A center manager sees the center; a
    clerk their own figures and today's counters; anyone who works at no center gets 403.

    It combines analytics, training, interaction, ratings and notifications, so it lives in the
    shell (decision 0004). ``?center=`` picks one of the viewer's centers (another is 404)."""
    from onewindow.analytics import permissions as analytics_perms
    from onewindow.analytics.selectors import decisions as decision_selectors
    from onewindow.analytics.selectors import statistics as stats
    from onewindow.centers import selectors as center_selectors
    from onewindow.centers.choices import TicketStatus
    from onewindow.interaction import selectors as interaction_selectors
    from onewindow.notifications.selectors import reminder_count
    from onewindow.ratings.selectors import followups_due_summary
    from onewindow.training import selectors as training_selectors

    try:
        centers, center = _manage_center(request.user, request.GET.get("center", "")[:12])
    except DomainError as exc:
        return render(request, "manage_home_error.html", {"error": exc}, status=exc.status)
    manager = analytics_perms.can_manage(request.user, center.pk)
    today = timezone.localdate()
    month = stats.month_summary(request.user, center_id=center.pk, today=today)
    context: dict[str, Any] = {
        "centers": centers, "center": center, "manager": manager, "today": today, "month": month,
        "month_labels": [(k, stats.TOTAL_LABELS[k], month[k]) for k in stats.TOTAL_LABELS],
        "modules": [(key, label, _module_url(name, with_center, center.pk))
                    for key, label, name, with_center in MANAGE_MODULES],
        "counts": [(value, TicketStatus(value).label, n)
                   for value, n in center_selectors.today_counts(center, today).items()],
        "reminders": reminder_count(user=request.user),
        "questions": interaction_selectors.home_summary(by=request.user, center_id=center.pk,
                                                        department_id=center.department_id),
    }
    if manager:
        live = center_selectors.center_live_for(request.user, center.pk)
        context.update({
            "live": live,
            "windows_busy": sum(1 for w in live if w.ticket is not None),
            "decisions": decision_selectors.home_summary(by=request.user, center_id=center.pk),
            "training": training_selectors.home_summary(by=request.user, center_id=center.pk),
            "followups": (followups_due_summary(department_id=center.department_id, today=today)
                          if center.department_id else {"open": 0, "overdue": 0}),
            # 弹性调配 (issue #15) is a card beside the eight modules, not a ninth module.
            "staffing_url": _module_url("staffing:today", False, center.pk),
            # 大数据应用展示 (issue #16): the service wall and the operator's page of the big screens.
            "bigscreen_urls": (reverse("bigscreen:wall"), reverse("bigscreen:ops")),
        })
    return render(request, "manage_home.html", context)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler: a body over Django's own limits (too large, too many fields) is 413.

    Such bodies raise when a middleware or view first reads ``request.POST`` (issue #9: 413 in the
    error shape for the API, the 413 page for browsers); anything else keeps Django's 400 page,
    which ``ApiJsonErrorMiddleware`` turns into the JSON shape under /api/.
    """
    if isinstance(exception, TOO_LARGE_ERRORS):
        return too_large_response(request)
    return defaults.bad_request(request, exception)
