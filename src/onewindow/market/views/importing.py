"""The bulk import page (批量导入市场主体) of the registration authority: upload a CSV or xlsx file,
see the counts and every refused row with its line, field and message. A file is imported while
the page waits (at most ``MARKET_IMPORT_MAX_UPLOAD_BYTES``, default 20 MB, some 60,000 rows);
larger files go through ``onewindow market_import_entities``."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.core.errors import DomainError

from .. import selectors, services
from .registry import error_page

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
EXAMPLE = {
    "credit_code": "913101064JURQ2830T",
    "name": "上海静安示例贸易有限公司",
    "entity_type": "有限责任公司",
    "legal_representative_name": "张三",
    "address": "上海市静安区南京西路1号",
    "district_code": "310106",
    "street_code": "310106012",
    "industry_code": "5211",
    "registered_capital": "100",
    "currency": "CNY",
    "established_on": "2016-08-15",
    "approved_on": "2016-08-15",
    "status": "存续",
    "business_scope": "日用百货销售",
}


def max_upload() -> int:
    return int(getattr(settings, "MARKET_IMPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD))


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if not selectors.can_import(request.user):
        return error_page(request, selectors.import_forbidden())
    context = {"columns": services.COLUMNS, "max_mb": max_upload() // (1024 * 1024)}
    if request.method == "GET":
        return render(request, "market/import.html", context)
    upload_file = request.FILES.get("file")
    error: DomainError | None = None
    if upload_file is None:
        error = DomainError(_("请选择要上传的文件"), code="market_import_no_file", status=422)
    elif upload_file.size is not None and upload_file.size > max_upload():
        error = DomainError(
            _("文件过大：网页上传最多 %(mb)d MB，更大的文件请由管理员用命令导入")
            % {"mb": max_upload() // (1024 * 1024)},
            code="market_import_too_large",
            status=413,
        )
    if error is None and upload_file is not None:
        try:
            run = services.entities_import(by=request.user, file=upload_file, file_name=upload_file.name or "")
        except DomainError as exc:
            error = exc
        else:
            return redirect("market:import-result", import_id=run.pk)
    return render(request, "market/import.html", {**context, "error": error}, status=error.status if error else 200)


@login_required
@require_GET
def result(request: HttpRequest, import_id: int) -> HttpResponse:
    try:
        run = selectors.entity_import_for(request.user, import_id)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "market/import_result.html", {"run": run})


@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    """The CSV template: the header row and one example row (UTF-8 with BOM, so Excel opens it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _name, label in services.COLUMNS])
    writer.writerow([EXAMPLE.get(name, "") for name, _label in services.COLUMNS])
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="market-entities-template.csv"'
    return response
