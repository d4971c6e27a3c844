"""绩效考核 pages (issue #14 part 3): the monthly appraisal of a center per clerk and per window,
with the weights and the rules beside the figures, the report as xlsx and PDF, and the manager's
form for a new scheme (weights from a month).

Who (selectors.appraisal): a manager sees the center, a clerk their own row; a center the viewer
does not work at is 404 ``analytics_center_not_found``; someone who works at no center 403;
anonymous visitors the login page. Filters ``center`` and ``month`` (``YYYY-MM``, default last
month; malformed 422 ``analytics_month_invalid``). A refused scheme re-renders the page with its
status and message and writes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError

from .. import reports
from ..selectors import appraisal as selectors
from ..services.appraisal import appraisal_scheme_save


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "analytics/appraisal_error.html", {"error": exc}, status=exc.status)


def _appraisal(request: HttpRequest, params: Any) -> selectors.Appraisal:
    month = selectors.parse_month(str(params.get("month", ""))[:7], today=timezone.localdate())
    return selectors.appraisal_for(request.user, center_id=str(params.get("center", ""))[:12] or None, month=month)


def _page(request: HttpRequest, appraisal: selectors.Appraisal, error: DomainError | None = None,
          form: dict[str, Any] | None = None) -> HttpResponse:
    today = timezone.localdate()
    next_month = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    query = f"center={appraisal.center.pk}&month={appraisal.month:%Y-%m}"
    return render(request, "analytics/appraisal.html", {
        "a": appraisal, "centers": selectors.appraisal_centers(request.user), "query": query,
        "month_text": f"{appraisal.month:%Y-%m}", "error": error,
        "schemes": [] if appraisal.own_only else selectors.schemes_of(appraisal.center.pk),
        "form": form or {"valid_from": f"{next_month:%Y-%m}", "weights": appraisal.weights,
                         "rules": appraisal.scheme_rules},
        "measures": [(m, selectors.MEASURE_LABELS[m]) for m in selectors.MEASURES],
        "no_data_rule": selectors.NO_DATA_RULE, "service_rule": selectors.SERVICE_RULE,
    }, status=error.status if error else 200)


@login_required
@require_GET
def appraisal(request: HttpRequest) -> HttpResponse:
    """The month's figures of the center (or of the clerk), the score, the rules and weights."""
    try:
        return _page(request, _appraisal(request, request.GET))
    except DomainError as exc:
        return _error(request, exc)


def _download(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        one = _appraisal(request, request.GET)
    except DomainError as exc:
        return _error(request, exc)
    if kind == "xlsx":
        response = HttpResponse(reports.appraisal_xlsx(one), content_type=reports.XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse(reports.appraisal_pdf(one), content_type="application/pdf")
    name = f"appraisal-{one.center.code}-{one.month:%Y-%m}.{kind}".replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def appraisal_xlsx(request: HttpRequest) -> HttpResponse:
    """绩效考核月报 (xlsx)."""
    return _download(request, "xlsx")


@login_required
@require_GET
def appraisal_pdf(request: HttpRequest) -> HttpResponse:
    """绩效考核月报 (PDF)."""
    return _download(request, "pdf")


@login_required
@require_POST
def appraisal_scheme(request: HttpRequest) -> HttpResponse:
    """The manager saves a new scheme valid from a month (services.appraisal)."""
    post = request.POST
    form: dict[str, Any] = {"valid_from": post.get("valid_from", "")[:7], "rules": post.get("rules", "")[:4000],
                            "weights": {m: post.get(f"w_{m}", "").strip()[:4] or "0" for m in selectors.MEASURES}}
    try:
        one = _appraisal(request, {"center": post.get("center", ""), "month": post.get("month", "")})
    except DomainError as exc:
        return _error(request, exc)
    try:
        valid_from = selectors.parse_month(form["valid_from"] or "x", today=timezone.localdate(),
                                           field_name="valid_from")
        appraisal_scheme_save(by=request.user, center_id=one.center.pk, valid_from=valid_from,
                              weights=dict(form["weights"]), rules=form["rules"])
    except DomainError as exc:
        return _page(request, one, exc, form)
    messages.success(request, gettext("考核方案已保存，自 %(month)s 起适用。") % {"month": form["valid_from"]})
    return redirect(f"{reverse('analytics:appraisal')}?center={one.center.pk}&month={one.month:%Y-%m}")


urlpatterns: list[URLPattern] = [
    path("appraisal/", appraisal, name="appraisal"),
    path("appraisal/xlsx/", appraisal_xlsx, name="appraisal-xlsx"),
    path("appraisal/pdf/", appraisal_pdf, name="appraisal-pdf"),
    path("appraisal/scheme/", appraisal_scheme, name="appraisal-scheme"),
]
