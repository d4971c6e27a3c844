"""Applicant pages of case handling (issue #3, parts 2–4): the online application (网上申请, also
the WeChat H5 pages with ``?channel=wechat``), drafts and materials, 我的办件 and the case page,
withdrawal, the correction round (补正), the public query (一码查询) and the self-service kiosk
form (自助填单) with its printed receipt.

Views parse the request, call one case service or selector, and render; every refusal of the
core (DomainError) is shown with its own 4xx status and its field messages next to the fields.

Pre-fill from shared registers (减材料, issue #13 part 5; ``services.prefill``): the application
page names the registers the item can take values from and lets the applicant decline before
anything is fetched; saving the draft, or opening a draft not yet filled, fills it; the draft page
shows each pre-filled field's source and as-of date, why a register gave nothing, the materials
that need no upload (已共享), and the buttons to decline (clearing what was fetched) or ask again.
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts.choices import IdType
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ServiceItem
from onewindow.core.errors import DomainError, NotFound, RateLimited
from onewindow.core.masking import mask_name
from onewindow.core.models import Department
from onewindow.core.net import client_ip
from onewindow.core.normalize import nfkc, nfkc_number
from onewindow.core.throttle import throttle_forgive, throttle_hit

from .. import forms, public_query, selectors, services
from ..choices import FINAL, CaseChannel, CaseStatus, DeliveryMethod, DocumentKind
from ..models import Case
from ..services.apply import max_upload_bytes

QUERY_MAX_FAILURES = 10
QUERY_WINDOW_SECONDS = 600
KIOSK_IDLE_SECONDS = 120
KIOSK_SESSION_KEY = "cases_kiosk_receipt"
#: The kiosk's identity inputs: a form field of the same name is filled from them, not asked twice.
KIOSK_IDENTITY = ("name", "id_type", "id_number", "phone")
KIOSK_NAME_KEY = "cases_kiosk_name"  # the name as typed, masked: the receipt never shows the registry's
APPLY_CHANNELS = (CaseChannel.ONLINE, CaseChannel.WECHAT)


# ---- helpers (presentation only) ------------------------------------------------------------

def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "cases/apply/error.html", {"error": exc}, status=exc.status)


def _channel(request: HttpRequest) -> str:
    value = request.POST.get("channel") or request.GET.get("channel") or CaseChannel.ONLINE
    return value if value in APPLY_CHANNELS else CaseChannel.ONLINE


def _item(code: str) -> ServiceItem:
    """The item for the page header; the services refuse unknown, withdrawn or suspended items."""
    item = ServiceItem.objects.select_related("current_version", "department").filter(code=str(code)[:36]).first()
    if item is None or item.current_version is None or item.status == ItemStatus.WITHDRAWN:
        raise NotFound(_("找不到该事项，或该事项已取消。"), code="item_not_found")
    return item


def _offered(item: ServiceItem, channel: str) -> None:
    """Refuse the page at once when the item is not offered on this channel (the service would
    refuse the submission anyway; the applicant should not fill a form in vain)."""
    assert item.current_version is not None
    if not services.channel_allowed(item.current_version, channel):
        raise DomainError(_("该事项不能通过此渠道办理，请查看办事指南中的办理渠道。"), code="channel_not_allowed",
                          status=422)


def _form_context(schema: dict[str, Any], data: dict[str, Any], error: DomainError | None,
                  shown: tuple[str, ...] = (), *, asked: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's inputs; those named in ``asked`` are not rendered again (the page asks for them
    itself, e.g. the kiosk's identity section, whose inputs then fill the form's fields)."""
    errs = forms.field_errors(error) if error else {}
    return {"fields": [f for f in forms.fields(schema, data, errs) if f.name not in asked], "error": error,
            "errs": errs, "other_errors": forms.other_errors(schema, errs, (*shown, "materials"))}


def _delivery(request: HttpRequest) -> dict[str, Any]:  # keyword arguments of the case services
    return {"delivery_method": request.POST.get("delivery_method", DeliveryMethod.WINDOW)[:20],
            "delivery_address": request.POST.get("delivery_address", "").strip()[:300]}


# ---- online application ---------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, item_code: str) -> HttpResponse:
    """New application: 保存草稿 creates the draft, 提交申请 creates and submits it at once;
    the hidden idempotency key of the rendered page makes a double click one case."""
    channel = _channel(request)
    try:
        item = _item(item_code)
        _offered(item, channel)
    except DomainError as exc:
        return _error(request, exc)
    version = item.current_version
    assert version is not None
    user: Any = request.user
    person = user.person
    profile = {"name": person.name if person else "", "phone": person.phone if person else ""}
    plans = services.prefill_plan(version)
    error: DomainError | None = None
    if request.method == "POST":
        data = forms.parse(version.form_schema, request.POST)  # shown again as posted after a refusal
        key = request.POST.get("idempotency_key", "")[:100]
        submit = request.POST.get("action") == "submit"
        for_org = request.POST.get("applicant") == "organization" and user.organization_id is not None
        try:
            case, replayed = services.case_apply(
                by=user, item_code=item.code, channel=channel, submit=submit, idempotency_key=key,
                form_data=forms.with_profile(version.form_schema, data, **profile),
                applicant_organization=user.organization if for_org else None, **_delivery(request))
        except DomainError as exc:
            error = exc
        else:
            if case.status == CaseStatus.DRAFT:
                if plans and not replayed:
                    _prefill_new_draft(request, case, decline=request.POST.get("prefill") == "decline")
                messages.success(request, gettext("草稿已保存。请上传申请材料后提交。"))
                return redirect("cases:edit", case_id=case.pk)
            messages.success(request, gettext("申请已提交，办件编号 %(number)s。") % {"number": case.number})
            return redirect("cases:detail", case_id=case.pk)
        values = {"applicant": request.POST.get("applicant", "person"), "key": key,
                  "prefill": request.POST.get("prefill", ""), **_delivery(request)}
    else:
        data = forms.prefill(version.form_schema, **profile)  # masked: kept unless the applicant retypes it
        values = {"applicant": "person", "key": forms.new_key(), "delivery_method": DeliveryMethod.WINDOW,
                  "delivery_address": "", "prefill": ""}
    names = services.prefill.resource_names(list(plans)) if plans else {}
    context = {"item": item, "v": version, "channel": channel, "values": values,
               "prefill_sources": list(names.values()),
               "prefill_materials": [m.name for plan in plans.values() for m in plan.materials],
               "delivery_methods": DeliveryMethod.choices, "organization": user.organization,
               "max_mb": max_upload_bytes() // (1024 * 1024),
               **_form_context(version.form_schema, data, error, ("delivery_method", "delivery_address"))}
    return render(request, "cases/apply/apply.html", context, status=error.status if error else 200)


def _prefill_new_draft(request: HttpRequest, case: Case, *, decline: bool) -> None:
    """Right after the draft is saved: decline pre-fill (nothing is fetched), or fill it. A
    refusal never stands in the applicant's way: the draft is saved either way."""
    try:
        if decline:
            services.prefill_decline(by=request.user, case_id=case.pk)
        else:
            services.prefill_run(by=request.user, case_id=case.pk)
    except DomainError:
        pass


def _case_page(request: HttpRequest, case: Case, *, error: DomainError | None = None,
               data: dict[str, Any] | None = None, upload_error: DomainError | None = None) -> HttpResponse:
    """The draft / correction page: the pre-fill, the form, the materials and the submit button."""
    version = case.item_version
    prefill = services.prefill_view_for(request.user, case)
    uploaded = [m for m in case.materials.all() if m.removed_at is None and not m.is_shared]
    materials = [{"m": m, "files": [f for f in uploaded if f.material_id == m.pk], "shared": prefill.shared.get(m.pk)}
                 for m in version.materials.all()]
    loose = [f for f in uploaded if f.material_id is None]
    errs = forms.field_errors(error) if error else {}
    correction = _correction_notice(case)
    values = {"delivery_method": case.delivery_method, "delivery_address": case.delivery_address}
    if data is not None:
        values = _delivery(request)
    context = {"case": case, "v": version, "materials": materials, "loose": loose, "prefill": prefill,
               "missing": errs.get("materials", []), "upload_error": upload_error, "correction": correction,
               "delivery_methods": DeliveryMethod.choices, "values": values,
               "max_mb": max_upload_bytes() // (1024 * 1024),
               **_form_context(version.form_schema, case.form_data if data is None else data, error,
                               ("delivery_method", "delivery_address"))}
    for f in context["fields"]:
        f.prefill = None if prefill.declined else prefill.fields.get(f.name)
    status = (error or upload_error).status if (error or upload_error) else 200  # type: ignore[union-attr]
    return render(request, "cases/apply/edit.html", context, status=status)


def _correction_notice(case: Case) -> Any:
    if case.status != CaseStatus.CORRECTION:
        return None
    return case.documents.filter(kind=DocumentKind.CORRECTION).order_by("-id").first()


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, case_id: int) -> HttpResponse:
    """The draft (or the correction round): 保存草稿 saves the form (case_update)."""
    try:
        case = selectors.case_get_for(request.user, case_id)
    except DomainError as exc:
        return _error(request, exc)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTION):
        return redirect("cases:detail", case_id=case.pk)
    if request.method == "GET":
        if case.status == CaseStatus.DRAFT and case.channel in APPLY_CHANNELS:
            try:  # a draft not yet filled (saved through the API, or before the item named registers)
                if services.prefill_run(by=request.user, case_id=case.pk) is not None:
                    case = selectors.case_get_for(request.user, case.pk)
            except DomainError:
                pass  # staff on the applicant's page, or a case that cannot be filled: shown as it is
        return _case_page(request, case)
    data = forms.parse(case.item_version.form_schema, request.POST)
    try:
        case = services.case_update(by=request.user, case_id=case.pk, form_data=data, **_delivery(request))
    except DomainError as exc:
        return _case_page(request, case, error=exc, data=data)
    messages.success(request, gettext("草稿已保存。"))
    return redirect("cases:edit", case_id=case.pk)


def _save_then(request: HttpRequest, case_id: int, step: Any) -> HttpResponse:
    """Save the posted form, then submit or resubmit (``step``); a refusal shows the page again
    with the posted values. A second click after success lands on the case page."""
    try:
        case = selectors.case_get_for(request.user, case_id)
    except DomainError as exc:
        return _error(request, exc)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTION):
        return redirect("cases:detail", case_id=case.pk)  # already submitted (double click)
    data = forms.parse(case.item_version.form_schema, request.POST)
    try:
        case = services.case_update(by=request.user, case_id=case.pk, form_data=data, **_delivery(request))
        case = step(by=request.user, case_id=case.pk)
    except DomainError as exc:
        case = selectors.case_get_for(request.user, case.pk)
        return _case_page(request, case, error=exc, data=data)
    messages.success(request, gettext("申请已提交，办件编号 %(number)s。") % {"number": case.number})
    return redirect("cases:detail", case_id=case.pk)


@login_required
@require_POST
def submit(request: HttpRequest, case_id: int) -> HttpResponse:
    """提交申请 from the draft page: the case gets its number (行政许可法 art. 32)."""
    return _save_then(request, case_id, services.case_submit)


@login_required
@require_POST
def resubmit(request: HttpRequest, case_id: int) -> HttpResponse:
    """补正后重新提交: the corrected form and materials go back to the receiving body."""
    return _save_then(request, case_id, services.case_resubmit)


@login_required
@require_POST
def prefill_decline(request: HttpRequest, case_id: int) -> HttpResponse:
    """拒绝预填 (个人信息保护法 art. 44–46): clear what was fetched from the shared registers and
    fetch nothing more for this application."""
    try:
        services.prefill_decline(by=request.user, case_id=case_id)
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, gettext("已拒绝预填：从共享数据获取的内容已清除，请自行填写并上传材料。"))
    return redirect("cases:edit", case_id=case_id)


@login_required
@require_POST
def prefill_consent(request: HttpRequest, case_id: int) -> HttpResponse:
    """使用共享数据预填 after a decline: the applicant asks for pre-fill again."""
    try:
        services.prefill_run(by=request.user, case_id=case_id, consent=True)
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, gettext("已从共享数据预填，请核对。"))
    return redirect("cases:edit", case_id=case_id)


@login_required
@require_POST
def upload(request: HttpRequest, case_id: int) -> HttpResponse:
    """Upload one material file; the core checks type (by content), size and the material."""
    upload_file = request.FILES.get("file")
    material = request.POST.get("material_id", "")
    try:
        case = selectors.case_get_for(request.user, case_id)
    except DomainError as exc:
        return _error(request, exc)
    # Read at most one byte more than allowed: enough for the core to refuse an oversized file.
    content = upload_file.read(max_upload_bytes() + 1) if upload_file is not None else b""
    try:
        services.case_attach(by=request.user, case_id=case.pk, name=getattr(upload_file, "name", "") or "",
                             content=content, material_id=int(material) if material.isdigit() else None)
    except DomainError as exc:
        case = selectors.case_get_for(request.user, case.pk)
        return _case_page(request, case, upload_error=exc)
    messages.success(request, gettext("文件已上传。"))
    return redirect("cases:edit", case_id=case.pk)


@login_required
@require_POST
def detach(request: HttpRequest, case_id: int, attachment_id: int) -> HttpResponse:
    """Remove an uploaded file from the draft or correction round."""
    try:
        services.case_detach(by=request.user, case_id=case_id, attachment_id=attachment_id)
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, gettext("文件已删除。"))
    return redirect("cases:edit", case_id=case_id)


@login_required
@require_GET
def download(request: HttpRequest, case_id: int, attachment_id: int) -> HttpResponseBase:
    """An uploaded file, for whoever may see the case (applicant side or staff in scope): always
    a download (never rendered inline), with the sniffed type, ``nosniff`` and a sandboxing CSP."""
    try:
        case = selectors.case_get_for(request.user, case_id)
        row = case.materials.filter(pk=attachment_id, removed_at__isnull=True, shared_resource="").first()
        if row is None:
            raise NotFound(_("找不到该材料。"), code="attachment_not_found")
        handle = row.file.open("rb")
    except (DomainError, OSError) as exc:
        return _error(request, exc if isinstance(exc, DomainError)
                      else NotFound(_("找不到该材料。"), code="attachment_not_found"))
    response = FileResponse(handle, as_attachment=True, content_type=row.content_type)
    name = "".join(ch for ch in row.original_name if ch.isprintable()) or "file"  # no header injection
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- my cases, the case page, withdrawal ----------------------------------------------------

@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的办件: the user's cases (applicant side), 20 a page, newest first."""
    paginator = Paginator(selectors.case_list_for_applicant(request.user), 20)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "cases/apply/mine.html", {"page": page})


@login_required
@require_GET
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """The applicant's case page: status, numbers, public timeline, documents, correction notice,
    the running clock, and the buttons the workflow allows (withdraw, correct)."""
    try:
        case = selectors.case_get_for(request.user, case_id)
    except DomainError as exc:
        return _error(request, exc)
    actions = selectors.actions_for(request.user, case)
    context = {"case": case, "v": case.item_version, "steps": selectors.timeline_for(request.user, case),
               "actions": actions, "documents": list(case.documents.all()),
               "files": [m for m in case.materials.all() if m.removed_at is None and not m.is_shared],
               "shared_files": [m for m in case.materials.select_related("material").all()
                                if m.removed_at is None and m.is_shared],
               "correction": _correction_notice(case), "is_final": case.status in FINAL,
               "clock_running": case.due_date is not None and case.status not in FINAL,
               "notes": selectors.deadline_notes_for(case)}
    return render(request, "cases/apply/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    """撤回申请 before a decision: a confirmation page, then case_withdraw."""
    try:
        case = selectors.case_get_for(request.user, case_id)
    except DomainError as exc:
        return _error(request, exc)
    if request.method == "GET":
        return render(request, "cases/apply/withdraw.html", {"case": case})
    try:
        services.case_withdraw(by=request.user, case_id=case.pk, reason=request.POST.get("reason", "")[:500])
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, gettext("申请已撤回。"))
    return redirect("cases:detail", case_id=case.pk)


# ---- public query (一码查询) ---------------------------------------------------------------

def _query_key(request: HttpRequest) -> str:
    # The client behind the load balancer (core.net: X-Forwarded-For from TRUSTED_PROXIES only).
    return f"cases:query-failures:{client_ip(request)}"


@require_http_methods(["GET", "POST"])
def query(request: HttpRequest) -> HttpResponse:
    """一码查询: the query code and the last four digits of the applicant's phone show the public
    progress (no personal data). Every wrong answer gets the same message; at most 10 wrong
    answers per address in 10 minutes, then 429. The answer is given to a POST only: a GET shows
    the empty form whatever its query string says, so the phone tail never travels in a URL
    (access logs, history, Referer; issue #9 point 8)."""
    context: dict[str, Any] = {"code": "", "tail": ""}
    if request.method == "GET":
        return render(request, "cases/apply/query.html", context)
    code = nfkc(request.POST.get("code", "")[:40])[:20]  # typed in full width: read as ASCII
    tail = nfkc_number(request.POST.get("tail", "")[:20])[:4]
    context.update(code=code, tail=tail)
    key = _query_key(request)
    # Counted before it is tried (one budget for every worker process); a right answer is given back.
    if not throttle_hit(key, limit=QUERY_MAX_FAILURES, window=QUERY_WINDOW_SECONDS):
        exc: DomainError = RateLimited(_("查询失败次数过多，请 10 分钟后再试。"), code="query_throttled")
        response = render(request, "cases/apply/query.html", {**context, "error": exc}, status=exc.status)
        response["Retry-After"] = str(QUERY_WINDOW_SECONDS)
        return response
    try:
        result = public_query.public_status(code, tail)  # two statements, values() rows (issue #17)
    except DomainError as exc:
        return render(request, "cases/apply/query.html", {**context, "error": exc}, status=exc.status)
    throttle_forgive(key)
    return render(request, "cases/apply/query.html", {**context, "result": result})


# ---- kiosk (自助终端) ------------------------------------------------------------------------

# Kiosk authentication (decision 0008): the kiosk is a browser in the hall bound to its device —
# enrolled once by a center manager, recognised by the centers middleware, which sets
# ``request.bound_device``. Cases sits below centers and reads that object duck-typed: ``kind``
# must be "kiosk"; ``department_id`` (its center's department) is the receiving body of the draft;
# ``operator`` is the center's terminal account that the services act as. No staff login is
# needed at the kiosk, and a browser that is not an enrolled kiosk gets 403 ``device_not_enrolled``.
# The form itself goes to ``services.case_kiosk_start`` (identity checks without an oracle,
# throttled per device).


def _kiosk(request: HttpRequest) -> tuple[Any, Any, Department]:
    """The bound kiosk of the request, its operator account and its center's department."""
    return selectors.kiosk_of(getattr(request, "bound_device", None))


@require_http_methods(["GET", "POST"])
def kiosk_apply(request: HttpRequest, item_code: str) -> HttpResponse:
    """The kiosk form: name, ID number, phone and the item's form on large touch targets; ends
    with a printed receipt. The page resets itself after 120 s without input."""
    try:
        device, operator, department = _kiosk(request)
        item = _item(item_code)
        _offered(item, CaseChannel.KIOSK)
    except DomainError as exc:
        return _error(request, exc)
    version = item.current_version
    assert version is not None
    error: DomainError | None = None
    who = {"name": "", "id_type": IdType.RESIDENT_ID, "id_number": "", "phone": ""}
    data: dict[str, Any] = {}
    key = forms.new_key()
    if request.method == "POST":
        who = {k: request.POST.get(k, "").strip()[:100] for k in who}
        data = forms.parse(version.form_schema, request.POST)
        key = request.POST.get("idempotency_key", "")[:100]
        try:
            case = services.case_kiosk_start(by=operator, device=device, item_code=item.code, form_data=data,
                                             department=department, key=key, **who)
        except DomainError as exc:
            error = exc
        else:
            request.session[KIOSK_SESSION_KEY] = case.pk
            request.session[KIOSK_NAME_KEY] = mask_name(" ".join(who["name"].split()))
            return redirect("cases:kiosk-receipt", query_code=case.query_code)
    context = {"item": item, "v": version, "who": who, "key": key, "id_types": IdType.choices,
               "center": department, "idle": KIOSK_IDLE_SECONDS,
               **_form_context(version.form_schema, data, error, KIOSK_IDENTITY, asked=KIOSK_IDENTITY)}
    return render(request, "cases/apply/kiosk_apply.html", context, status=error.status if error else 200)


@require_GET
def kiosk_receipt(request: HttpRequest, query_code: str) -> HttpResponse:
    """The receipt of the kiosk form (80 mm thermal printer): the query code and a QR code of
    the window page that continues the case. Only the kiosk session that made it shows it."""
    try:
        _device, operator, _department = _kiosk(request)
        case = selectors.case_get_for(operator, request.session.get(KIOSK_SESSION_KEY))
        if case.query_code != query_code:
            raise NotFound(_("找不到该办件。"), code="case_not_found")
    except DomainError as exc:
        return _error(request, exc)
    url = request.build_absolute_uri(f"/cases/window/continue/{case.query_code}/")
    qr = segno.make(url, error="m").svg_inline(scale=3, border=2, title=gettext("窗口继续办理二维码"))
    return render(request, "cases/apply/kiosk_receipt.html", {
        "case": case, "v": case.item_version, "qr": qr, "continue_url": url, "idle": KIOSK_IDLE_SECONDS,
        "applicant_masked": request.session.get(KIOSK_NAME_KEY, ""),
        "start_url": reverse("cases:kiosk-apply", args=[case.item.code])})


urlpatterns: list[URLPattern] = [
    path("apply/<str:item_code>/", apply, name="apply"),
    path("mine/", mine, name="mine"),
    path("query/", query, name="query"),
    path("kiosk/apply/<str:item_code>/", kiosk_apply, name="kiosk-apply"),
    path("kiosk/receipt/<str:query_code>/", kiosk_receipt, name="kiosk-receipt"),
    path("<int:case_id>/", detail, name="detail"),
    path("<int:case_id>/edit/", edit, name="edit"),
    path("<int:case_id>/submit/", submit, name="submit"),
    path("<int:case_id>/resubmit/", resubmit, name="resubmit"),
    path("<int:case_id>/withdraw/", withdraw, name="withdraw"),
    path("<int:case_id>/prefill/decline/", prefill_decline, name="prefill-decline"),
    path("<int:case_id>/prefill/consent/", prefill_consent, name="prefill-consent"),
    path("<int:case_id>/files/", upload, name="upload"),
    path("<int:case_id>/files/<int:attachment_id>/", download, name="file"),
    path("<int:case_id>/files/<int:attachment_id>/remove/", detach, name="detach"),
]
