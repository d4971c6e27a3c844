"""Pages of taxqr: the client form (房产交易辅助), the window (数据内部管理), records, the summary
list (汇总清单) and the analysis (数据运用分析). Views parse, call one service/selector, render."""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts.reauth import reauth_is_fresh, reauth_url
from onewindow.core.errors import DomainError
from onewindow.core.models import Region

from . import exports, forms, images, record, rules, selectors, services
from . import permissions as perms


def _error(request: HttpRequest, exc: DomainError, template: str = "taxqr/error.html",
           context: dict[str, Any] | None = None) -> HttpResponse:
    return render(request, template, {"error": exc, **(context or {})}, status=exc.status)


def _districts() -> list[tuple[str, str]]:
    names = dict(Region.objects.filter(code__in=list(rules.REFERENCE_PRICE_PER_M2)).values_list("code", "name"))
    return [(code, names.get(code, code)) for code in rules.REFERENCE_PRICE_PER_M2]


def _streets(district: str) -> list[tuple[str, str]]:
    return list(Region.objects.filter(parent__code=district, level="street").values_list("code", "name"))


# ---- taxpayer side ------------------------------------------------------------------------

@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "taxqr/client_list.html", {"drafts": selectors.draft_list_for(request.user)[:100]})


@login_required
@require_GET
def streets(request: HttpRequest) -> HttpResponse:
    district = request.GET.get("property.district_code", "")[:12]
    return render(request, "taxqr/_streets.html", {"streets": _streets(district), "selected": ""})


@login_required
@require_http_methods(["GET", "POST"])
def client_form(request: HttpRequest, draft_id: int | None = None) -> HttpResponse:
    error: DomainError | None = None
    if request.method == "GET":
        try:
            data = selectors.draft_get_for(request.user, draft_id).data if draft_id else forms.blank()
        except DomainError as exc:
            return _error(request, exc)
    else:
        data = forms.parse(request.POST)
        op = request.POST.get("op", "save")
        if op.startswith(("add:", "remove:")):
            data = forms.apply_op(data, op)
        else:
            try:
                draft = services.draft_save(by=request.user, data=data, draft_id=draft_id)
                if op == "code":
                    services.draft_generate_code(by=request.user, draft_id=draft.pk)
                    return redirect("taxqr:client-code", draft_id=draft.pk)
                return redirect("taxqr:client-edit", draft_id=draft.pk)
            except DomainError as exc:
                error = exc
    shown = forms.attach_errors(forms.for_display(data),
                                {k: [str(m) for m in v] for k, v in (error.fields if error else {}).items()})
    district = str(shown["property"].get("district_code") or "310106")
    context = {"d": shown, "draft_id": draft_id, "error": error,
               "districts": _districts(), "streets": _streets(district),
               "checklist": selectors.document_checklist(data)}
    return render(request, "taxqr/client_form.html", context, status=error.status if error else 200)


@login_required
@require_GET
def client_code(request: HttpRequest, draft_id: int) -> HttpResponse:
    try:
        draft = selectors.draft_get_for(request.user, draft_id)
    except DomainError as exc:
        return _error(request, exc)
    if not draft.codes:
        return redirect("taxqr:client-edit", draft_id=draft.pk)
    tx = record.transaction_from_dict(draft.data)
    texts = list(draft.codes)
    codes = [{"index": i, "total": len(texts), "svg": images.render_svg(t, title=f"{i}/{len(texts)}"),
              "text": t} for i, t in enumerate(texts, 1)]
    findings = rules.check(tx, ruleset=rules.get(draft.ruleset_version) or rules.current(),
                           today=timezone.localdate(draft.coded_at or timezone.now()))
    return render(request, "taxqr/client_code.html", {
        "draft": draft, "codes": codes, "estimate": services.estimate_of(tx),
        "warnings": [f for f in findings if f.severity == rules.WARNING],
        "checklist": selectors.document_checklist(draft.data)})


@login_required
@require_GET
def client_code_png(request: HttpRequest, draft_id: int, index: int) -> HttpResponse:
    try:
        draft = selectors.draft_get_for(request.user, draft_id)
    except DomainError as exc:
        return _error(request, exc)
    if not 1 <= index <= len(draft.codes):
        return _error(request, DomainError(_("二维码不存在。"), code="qr_code_not_found", status=404))
    response = HttpResponse(images.render_png(draft.codes[index - 1], scale=8), content_type="image/png")
    response["Content-Disposition"] = content_disposition_header(
        True, f"房交二维码-{draft.pk}-{index}of{len(draft.codes)}.png") or ""
    return response


# ---- tax side -----------------------------------------------------------------------------

def _window_context(request: HttpRequest) -> dict[str, Any]:
    chosen = request.POST.get("window") or request.GET.get("window") or request.session.get("taxqr_window", "")
    return {"window": chosen}


@login_required
@require_http_methods(["GET", "POST"])
def window(request: HttpRequest) -> HttpResponse:
    """GET: the scan box. POST op=preview: decode and show; op=capture: save (the clerk confirmed)."""
    context = _window_context(request)
    try:
        perms.require_window_bureau(request.user)
    except DomainError as exc:
        return _error(request, exc)
    if request.method == "GET":
        saved = selectors.record_list_for(request.user).filter(pk=request.GET.get("saved") or 0).first() \
            if (request.GET.get("saved") or "").isdigit() else None
        return render(request, "taxqr/window.html", {**context, "saved": saved})
    request.session["taxqr_window"] = context["window"][:20]
    text = request.POST.get("text", "")[:40_000]
    upload = request.FILES.get("image")
    image = upload.read() if upload is not None and upload.size and upload.size <= 10_000_000 else None
    first_scan = parse_datetime(request.POST.get("first_scan_at", "") or "")
    context |= {"first_scan_at": request.POST.get("first_scan_at", "")}
    try:
        if request.POST.get("op") == "capture":
            saved = services.record_capture(by=request.user, text=text, window=context["window"],
                                            first_scan_at=first_scan)
            return redirect(f"{request.path}?saved={saved.pk}")
        preview = services.record_preview(by=request.user, text=text, image=image)
    except DomainError as exc:
        return _error(request, exc, "taxqr/window.html", context)
    return render(request, "taxqr/window.html", {
        **context, "preview": preview, "masked": selectors.record_masked(preview.record),
        "streets": selectors.street_names([preview.transaction.property.street_code])})


def _filters(request: HttpRequest) -> selectors.RecordFilter:
    day = None
    with contextlib.suppress(ValueError):
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    return selectors.RecordFilter(q=request.GET.get("q", "")[:60], day=day, window=request.GET.get("window", "")[:20],
                                  agency=request.GET.get("agency", "")[:200], street=request.GET.get("street", "")[:12])


@login_required
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    flt = _filters(request)
    try:
        qs = selectors.record_list_for(request.user, flt)
    except DomainError as exc:
        return _error(request, exc)
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    rows = list(qs[(page - 1) * 50:page * 50 + 1])
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "taxqr/record_list.html", {
        "records": rows[:50], "more": len(rows) > 50, "page": page, "f": flt, "query": params.urlencode(),
        "streets": selectors.street_names([r.street_code for r in rows])})


@login_required
@require_GET
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    unmask = request.GET.get("unmask") == "1"
    try:
        record = (services.record_reveal(by=request.user, record_id=record_id) if unmask
                  else selectors.record_get_for(request.user, record_id))
    except DomainError as exc:
        return _error(request, exc)
    data = record.record if unmask else selectors.record_masked(record.record)
    return render(request, "taxqr/record_detail.html", {
        "r": record, "data": data, "unmasked": unmask, "can_unmask": perms.can_unmask(request.user),
        "corrections": record.corrections.all(), "fields": sorted(services.CORRECTABLE),
        "streets": selectors.street_names([record.street_code])})


def _attachment(made: exports.SummaryFile) -> HttpResponse:
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = content_disposition_header(True, made.filename) or ""
    return response


@login_required
@require_http_methods(["GET", "POST"])
def record_sheet(request: HttpRequest, record_id: int) -> HttpResponse:
    """GET: the record sheet (房交信息表) from memory; POST: archive it too (资料归档). Both re-authenticated."""
    if not reauth_is_fresh(request):
        return HttpResponseRedirect(reauth_url(request))
    try:
        made = (exports.record_sheet_archive(by=request.user, record_id=record_id) if request.method == "POST"
                else exports.record_sheet_download(by=request.user, record_id=record_id))
    except DomainError as exc:
        return _error(request, exc)
    return _attachment(made)


@login_required
@require_POST
def record_correct(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        services.record_correct(by=request.user, record_id=record_id, field_path=request.POST.get("field", "")[:100],
                                value=request.POST.get("value", "")[:200], reason=request.POST.get("reason", "")[:200])
    except DomainError as exc:
        return _error(request, exc)
    return redirect("taxqr:record-detail", record_id=record_id)


@login_required
@require_http_methods(["GET", "POST"])
def summary(request: HttpRequest) -> HttpResponse:
    """The summary list (汇总清单): GET shows it or (``format``) downloads it from memory; POST
    archives the day's list of the user's bureau (``format`` pdf or xlsx). Downloads and archiving need a
    fresh re-authentication. Parameters are validated; a bad one is a 422 page, never a file."""
    try:
        perms.require_tax_reader(request.user)
    except DomainError as exc:
        return _error(request, exc)
    params = request.POST if request.method == "POST" else request.GET
    fmt = params.get("format", "")
    day = params.get("date", "")[:20] or (timezone.localdate() if not fmt else "")
    context: dict[str, Any] = {"f": selectors.RecordFilter(window=params.get("window", "")[:20],
                                                           agency=params.get("agency", "")[:40]),
                               "headers": exports.HEADERS, "rows": [], "day": None}
    try:
        # Bounded, not cut to the field length: a longer value is refused rather than shortened.
        flt = exports.summary_filter(day=day, window=params.get("window", "")[:200],
                                     agency=params.get("agency", "")[:200])
        context |= {"day": flt.day, "f": flt}
        if request.method == "POST" or fmt:
            if not reauth_is_fresh(request):
                return HttpResponseRedirect(reauth_url(request))
            if request.method == "POST":
                context["archived"] = exports.summary_archive(by=request.user, day=flt.day, fmt=fmt or "pdf")
            else:
                return _attachment(exports.summary_download(by=request.user, flt=flt, fmt=fmt))
        context["rows"] = exports.summary_rows(request.user, day=flt.day, window=flt.window, agency=flt.agency)
    except DomainError as exc:
        return render(request, "taxqr/summary.html", {**context, "error": exc}, status=exc.status)
    return render(request, "taxqr/summary.html", context)


@login_required
@require_GET
def analysis(request: HttpRequest) -> HttpResponse:
    try:
        result = selectors.analysis_for(request.user)
    except DomainError as exc:
        return _error(request, exc)
    chart = {"streets": result.by_street[:15], "months": result.by_month, "bands": result.price_bands,
             "agencies": result.agencies[:10]}
    return render(request, "taxqr/analysis.html", {"a": result, "chart": chart})
