"""The lookup export of the search page (导出 Excel), its job page with progress, the download,
and the per-department lookup statistics (查询统计)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from onewindow.core import exports as core_exports
from onewindow.core.errors import DomainError
from onewindow.core.models import ExportStatus

from .. import exports
from ..selectors import SearchFilters
from .registry import error_page

MAX_STATS_DAYS = 366
DEFAULT_STATS_DAYS = 30


@never_cache
@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """POST the search filters: the xlsx at once (small results) or the job page (large ones)."""
    raw = {name: request.POST.get(name, "").strip()[:60] for name in exports.FILTER_FIELDS}
    try:
        made = exports.entities_export(by=request.user, filters=SearchFilters(**raw))
    except DomainError as exc:
        return error_page(request, exc)
    if made.job is not None:
        return redirect("market:export-job", token=made.job.token)
    assert made.file is not None
    response = HttpResponse(made.file.content, content_type=made.file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.file.filename}"'
    return response


@never_cache
@login_required
@require_GET
def job(request: HttpRequest, token: str) -> HttpResponse:
    """The job's progress (the htmx part polls every 2 s until the job is done or failed)."""
    try:
        found = exports.export_job_for(request.user, token)
    except DomainError as exc:
        return error_page(request, exc)
    context = {"job": found, "final": found.status in (ExportStatus.DONE, ExportStatus.FAILED)}
    template = "market/_export_progress.html" if request.headers.get("HX-Request") else "market/export.html"
    return render(request, template, context)


@never_cache
@login_required
@require_GET
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        found, path = core_exports.export_file_for(request.user, token, kind=exports.KIND)
    except DomainError as exc:
        return error_page(request, exc)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=found.download_name, content_type=exports.CONTENT_TYPE
    )


def _day(value: str | None, default: datetime.date) -> datetime.date | None:
    if not value:
        return default
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


@login_required
@require_GET
def lookup_stats(request: HttpRequest) -> HttpResponse:
    """Lookups per department (查询统计, 等保 安全审计) over a period of at most a year."""
    try:
        exports.lookup_stats_scope(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    today = timezone.localdate()
    until = _day(request.GET.get("until"), today)
    since = _day(request.GET.get("since"), (until or today) - datetime.timedelta(days=DEFAULT_STATS_DAYS - 1))
    if since is None or until is None or since > until or (until - since).days >= MAX_STATS_DAYS:
        message = _("请填写有效的起止日期（YYYY-MM-DD），起日不晚于止日，期间不超过一年")
        return error_page(request, DomainError(message, code="market_lookup_period_invalid", status=422))
    try:
        stats = exports.lookup_statistics_for(request.user, since=since, until=until)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "market/lookup_stats.html", {"stats": stats})
