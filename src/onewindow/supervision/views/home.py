"""The platform's home page (/supervision/) and the 双告知 statistics, computed from the rows.

The home page shows what the seed article reports of Jing'an's platform (issue #11 demo data):
departments using it, its users, the licence, penalty and inspection records pooled under credit
codes (market's 信息归集), and 双告知 notices received against answered, with ECharts (served from
the project's own static files, no CDN)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from .. import selectors
from .common import error_page, require_staff


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """监管平台首页: the figures and charts, and links to the user's work."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    figures = selectors.platform_figures(request.user)
    return render(
        request,
        "supervision/home.html",
        {
            "nav": "home",
            "f": figures,
            "chart": figures.chart(),
            "my_departments": selectors.task_departments_for(request.user),
        },
    )


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """双告知统计: notices received against answered per department and in total."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    return render(
        request,
        "supervision/statistics.html",
        {"nav": "statistics", "s": selectors.dual_notice_statistics(request.user)},
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("statistics/", statistics, name="statistics"),
]
