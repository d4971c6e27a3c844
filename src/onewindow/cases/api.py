"""The cases part of the JSON API (/api/v1/cases/): applying, following and handling a case (办件).

Actors and legal basis as in ``services`` (行政许可法 arts. 32, 38, 42, 44, 45). Handlers parse, call
one service or selector, and render; every refusal is ``{code, message, fields}``:
401 anonymous; 403 not allowed (``case_action_forbidden``, ``staff_only``, ``insufficient_scope``);
404 a case the caller may not see (``case_not_found``: existence is not leaked); 409 an action the
current status does not allow (``case_illegal_transition``); 422 invalid input with the fields.

- Applicant side (citizen, enterprise agent, the submitting login): ``POST /`` applies (header
  ``Idempotency-Key``: the same key and body again answers 200 with the first case, the same key
  with another body 422 ``idempotency_key_reused``), ``GET /`` lists my cases, ``GET /{id}``, ``PATCH
  /{id}`` (a draft or a case under correction), ``POST /{id}/files``, ``DELETE /{id}/files/{file_id}``,
  ``POST /{id}/submit``, ``/resubmit``, ``/withdraw``.
- Staff: ``GET /inbox`` (待办, filters of ``selectors.inbox_for``), ``GET /review-queue`` (网上办理审核),
  and one operation per handling action, ``POST /{id}/actions/<action>``; who may take which action
  is the workflow's ACTORS table (receiver / handler / head of the department).
- Public, no authentication: ``POST /query`` with ``{"code", "phone_tail"}`` in the body (一码查询, no
  personal data; never in the URL, where access logs and browser history keep it); after 10
  failed look-ups from one IP address in 10 minutes every look-up from it answers 429 ``rate_limited``
  until the window ends (a query code has 32^10 values, a phone tail 10^4: this stops guessing).

Machine tokens (accounts.ApiToken) act as their owning user, limited by their scopes: ``cases:read``
(my cases, case detail, inbox, review queue — e.g. a department's integration reading its inbox),
``cases:apply`` (the applicant side's writes — e.g. an enterprise system filing applications), and
``cases:handle`` (the staff actions). A token without an owner (a system or a device) holds no
cases (403 ``token_without_user``, answered by ``accounts.api_auth.require_user`` as in every app);
device tokens (scope ``device``) get 403 ``insufficient_scope`` on every operation here
except the public query, which takes no credentials at all. A session holds every scope; roles
decide (``permissions``).

The API applies for the caller (or an organization they represent, by credit code); entering a
case at the window for a walk-in applicant (一口受理, identity checked in person) is the staff pages'
job. Personal data in responses is always masked (see ``schemas``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Header, Path, Query, Router, Status
from ninja.files import UploadedFile

from onewindow.accounts import permissions as account_perms
from onewindow.accounts import selectors as account_selectors
from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.masking import mask_name, mask_phone
from onewindow.core.net import client_ip
from onewindow.core.normalize import NfkcInt
from onewindow.core.throttle import throttle_forgive, throttle_hit

from . import permissions as case_perms
from . import public_query, selectors, services
from .models import Case
from .schemas import (
    ApproveIn,
    CaseApplyIn,
    CaseDetailOut,
    CasePageOut,
    CaseRowOut,
    CaseUpdateIn,
    CorrectionIn,
    DeliverIn,
    ErrorOut,
    ExtendIn,
    FileOut,
    InboxOut,
    NoteIn,
    PublicStatusOut,
    QueryIn,
    RatingIn,
    RatingOut,
    ReasonIn,
    ReassignIn,
    RefuseIn,
    RejectIn,
    SuspendIn,
    clock_out,
    detail_out,
    event_out,
    file_out,
    inbox_json,
    mask_address,
    mask_form,
    row_out,
)
from .services.apply import max_upload_bytes

router = Router(tags=["cases"], auth=session_or_token)

MAX_ID = 2**63 - 1
READ = "cases:read"
APPLY = "cases:apply"
HANDLE = "cases:handle"
PAGE_SIZE = 20
QUERY_FAILURES = 10
QUERY_WINDOW_SECONDS = 600
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
ROW_RELATED = ("item", "receiving_department", "handling_department", "handler__person", "applicant_person",
               "applicant_organization")


def _staff(request: HttpRequest, scope: str) -> User:
    """The caller as a staff member: ``require_user`` (one answer for an ownerless token, 403
    ``token_without_user``), then 403 ``staff_only`` for anyone without a staff role."""
    user = require_user(request, scope)
    if not account_perms.is_staff_member(user):
        raise PermissionDenied(_("仅工作人员可以查看待办和审核队列。"), code="staff_only")
    return user


def _detail(user: User, case_id: Any) -> CaseDetailOut:
    case = selectors.case_get_for(user, case_id)
    return detail_out(case, timeline=selectors.timeline_for(user, case), actions=selectors.actions_for(user, case))


def _rows(cases: list[Case]) -> list[CaseRowOut]:
    # The inbox selector loads departments and handler; applicant and item come in a constant
    # number of extra queries whatever the page size.
    prefetch_related_objects(cases, "item", "applicant_person", "applicant_organization", "handler__person")
    return [CaseRowOut(**row_out(c)) for c in cases]


def _page(total: int, page: int, page_size: int) -> tuple[int, int]:
    pages = max(1, -(-total // page_size))
    return min(page, pages), pages


# --------------------------------------------------------------------------- applicant side
@router.post("/", response={200: CaseDetailOut, 201: CaseDetailOut, **WRITE_ERRORS}, summary="申请办事（可立即提交）")
def case_apply(request: HttpRequest, response: HttpResponse, payload: CaseApplyIn,
               idempotency_key: str = Header("", alias="Idempotency-Key", max_length=100,
                                             description="同一键同一内容重复提交只产生一个办件（200 重放）")
               ) -> Status[CaseDetailOut]:
    user = require_user(request, APPLY)
    organization = None
    if payload.applicant_organization:
        try:
            organization = account_selectors.organization_detail_for(user, payload.applicant_organization)
        except NotFound:
            raise DomainError(_("找不到该统一社会信用代码对应的单位，或您无权代表该单位。"),
                              code="organization_unknown", status=422,
                              fields={"applicant_organization": [_("请从给定选项中选择。")]}) from None
    case, replayed = services.case_apply(
        by=user, item_code=payload.item_code, channel=payload.channel, submit=payload.submit,
        idempotency_key=idempotency_key, form_data=payload.form_data, applicant_organization=organization,
        contact_phone=payload.contact_phone, delivery_method=str(payload.delivery_method),
        delivery_address=payload.delivery_address)
    if not replayed:
        response["Location"] = f"{request.path.rstrip('/')}/{case.pk}"
    fresh = not replayed and hasattr(case, "fresh_events")
    return Status(200 if replayed else 201, _fresh_detail(user, case) if fresh else _detail(user, case.pk))


def _fresh_detail(user: User, case: Case) -> CaseDetailOut:
    """The detail of a case ``services.case_apply`` has just created and submitted, from the rows it
    wrote (issue #17: the 201 does not read back what it wrote). The same document as ``_detail``: a
    new case has no files, documents or licence; its one clock and two events are at hand; the
    timeline shows the public steps unless ``user`` is staff in scope (``selectors.timeline_for``)."""
    ids = case_perms.staff_department_ids(user)
    in_scope = ids is None or bool(ids & {case.receiving_department_id, case.handling_department_id})
    events = [e for e in case.fresh_events if in_scope or e.public]  # type: ignore[attr-defined]
    return CaseDetailOut(
        **row_out(case), query_code=case.query_code, item_version=case.item_version.number,
        agent=mask_name(case.agent.name) if case.agent_id and case.agent else None,
        contact_phone=mask_phone(case.contact_phone), delivery_method=case.delivery_method,
        delivery_address=mask_address(case.delivery_address),
        form_data=mask_form(case.item_version.form_schema or {}, case.form_data or {}),
        refusal_reason=case.refusal_reason, accepted_at=None, forwarded_at=None, decided_at=None, delivered_at=None,
        closed_at=None, timeline=[event_out(e) for e in events], files=[],
        clocks=[clock_out(c) for c in case.fresh_clocks], documents=[], licence=None,  # type: ignore[attr-defined]
        actions=selectors.actions_for(user, case))


@router.get("/", response={200: CasePageOut, **ERRORS}, summary="我的办件")
def case_list(request: HttpRequest, status: str = Query("", max_length=20),
              page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
              page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=100)) -> CasePageOut:  # noqa: B008
    user = require_user(request, READ)
    qs = selectors.case_list_for_applicant(user)
    if status:
        qs = qs.filter(status=status)
    total = qs.count()
    page, pages = _page(total, page, page_size)
    rows = list(qs.select_related(*ROW_RELATED)[(page - 1) * page_size: page * page_size])
    return CasePageOut(items=[CaseRowOut(**row_out(c)) for c in rows], total=total, page=page, pages=pages)


@router.get("/inbox", response={200: InboxOut, **ERRORS}, summary="待办（工作人员）")
def inbox(request: HttpRequest, status: str = Query("", max_length=20), level: str = Query("", max_length=10),
          q: str = Query("", max_length=60), mine: bool = False, sort: str = Query("due", max_length=5),
          page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
          department_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID)  # noqa: B008
          ) -> HttpResponse:
    user = _staff(request, READ)
    box = selectors.inbox_values_for(user, status=status, level=level, q=q, mine=mine, sort=sort, page=page,
                                     department_id=department_id)
    # Value rows (one statement, no model instances) rendered straight to JSON in InboxOut's shape, masked
    # as every list (schemas.row_from_values); not validated again (issue #17, schemas.inbox_json).
    return HttpResponse(inbox_json(box), content_type="application/json; charset=utf-8")


@router.get("/review-queue", response={200: CasePageOut, **ERRORS}, summary="网上办理审核队列（工作人员）")
def review_queue(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
                 page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=100)) -> CasePageOut:  # noqa: B008
    user = _staff(request, READ)
    qs = selectors.review_queue_for(user)
    total = qs.count()
    page, pages = _page(total, page, page_size)
    return CasePageOut(items=_rows(list(qs[(page - 1) * page_size: page * page_size])), total=total, page=page,
                       pages=pages)


def _query_failures_key(request: HttpRequest) -> str:
    # The same key as the query page (views/apply.py): the page and the API share one budget per
    # client address (core.net: X-Forwarded-For only from TRUSTED_PROXIES).
    return f"cases:query-failures:{client_ip(request)}"


@router.post("/query", auth=None, response={200: PublicStatusOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
             summary="一码查询（公开，无需登录；查询码与手机尾号放在请求体中）")
def case_query(request: HttpRequest, payload: QueryIn) -> HttpResponse:
    code, phone_tail = payload.code, payload.phone_tail
    key = _query_failures_key(request)
    # Counted before it is tried (one budget for every worker process); a right answer is given back.
    if not throttle_hit(key, limit=QUERY_FAILURES, window=QUERY_WINDOW_SECONDS):
        raise RateLimited(_("查询失败次数过多，请 10 分钟后再试。"), code="rate_limited",
                          retry_after=QUERY_WINDOW_SECONDS)
    try:
        # Two plain statements, a right answer given back (in the second on PostgreSQL), the answer rendered
        # straight to JSON in PublicStatusOut's shape (issue #17, public_query.public_answer).
        answer = public_query.public_answer(code, phone_tail, forgive=key)
    except NotFound:
        raise  # a wrong answer stays counted
    except Exception:
        throttle_forgive(key)  # not a wrong answer (at worst given back twice: never below 0)
        raise
    return HttpResponse(answer, content_type="application/json; charset=utf-8")


@router.get("/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="办件详情（过程、材料、时限、可执行操作）")
def case_detail(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)) -> CaseDetailOut:
    return _detail(require_user(request, READ), case_id)


@router.patch("/{case_id}", response={200: CaseDetailOut, **WRITE_ERRORS}, summary="修改草稿或补正内容")
def case_update(request: HttpRequest, payload: CaseUpdateIn, case_id: int = Path(..., ge=1, le=MAX_ID)
                ) -> CaseDetailOut:
    user = require_user(request, APPLY)
    delivery_method = str(payload.delivery_method) if payload.delivery_method is not None else None
    # Only the named fields change (null removes one): merged by the service under the row lock.
    services.case_update(by=user, case_id=case_id, form_patch=payload.form_data, contact_phone=payload.contact_phone,
                         delivery_method=delivery_method, delivery_address=payload.delivery_address)
    return _detail(user, case_id)


@router.post("/{case_id}/files", response={201: FileOut, **WRITE_ERRORS}, summary="上传申请材料（PDF/JPG/PNG）")
def file_upload(request: HttpRequest, file: File[UploadedFile], case_id: int = Path(..., ge=1, le=MAX_ID),
                material_id: Form[NfkcInt | None] = None) -> Status[FileOut]:
    user = require_user(request, APPLY)
    if material_id is not None and not 1 <= material_id <= MAX_ID:
        material_id = 0  # never a material: the service answers material_unknown
    content = file.read(max_upload_bytes() + 1)  # one byte over the limit is enough to refuse
    attached = services.case_attach(by=user, case_id=case_id, name=(file.name or "upload")[:200], content=content,
                                    material_id=material_id)
    return Status(201, file_out(attached))


@router.delete("/{case_id}/files/{file_id}", response={204: None, **WRITE_ERRORS}, summary="删除已上传的材料")
def file_delete(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID),
                file_id: int = Path(..., ge=1, le=MAX_ID)) -> Status[None]:
    user = require_user(request, APPLY)
    services.case_detach(by=user, case_id=case_id, attachment_id=file_id)
    return Status(204, None)


@router.post("/{case_id}/submit", response={200: CaseDetailOut, **WRITE_ERRORS}, summary="提交申请")
def case_submit(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)) -> CaseDetailOut:
    user = require_user(request, APPLY)
    services.case_submit(by=user, case_id=case_id)
    return _detail(user, case_id)


@router.post("/{case_id}/resubmit", response={200: CaseDetailOut, **WRITE_ERRORS}, summary="补正后重新提交")
def case_resubmit(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)) -> CaseDetailOut:
    user = require_user(request, APPLY)
    services.case_resubmit(by=user, case_id=case_id)
    return _detail(user, case_id)


@router.post("/{case_id}/withdraw", response={200: CaseDetailOut, **WRITE_ERRORS}, summary="撤回申请")
def case_withdraw(request: HttpRequest, payload: ReasonIn, case_id: int = Path(..., ge=1, le=MAX_ID)
                  ) -> CaseDetailOut:
    user = require_user(request, APPLY)
    services.case_withdraw(by=user, case_id=case_id, reason=payload.reason)
    return _detail(user, case_id)


@router.post("/{case_id}/rating", response={201: RatingOut, **WRITE_ERRORS}, summary="评价办件（一事一评）")
def case_rate(request: HttpRequest, payload: RatingIn, case_id: int = Path(..., ge=1, le=MAX_ID)
              ) -> Status[RatingOut]:
    """The applicant side rates its concluded case once (409 case_not_rateable before it concludes,
    409 already_rated the second time; staff who see the case 403, others 404)."""
    user = require_user(request, APPLY)
    rating = services.case_rate(by=user, case_id=case_id, level=payload.level, comment=payload.comment,
                                channel="api")
    return Status(201, RatingOut(level=rating.level, level_label=str(rating.get_level_display()),
                                 comment=rating.comment, channel=rating.channel))


# --------------------------------------------------------------------------- staff actions
def _act(request: HttpRequest, case_id: int, service: Any, **kwargs: Any) -> CaseDetailOut:
    user = require_user(request, HANDLE)
    service(by=user, case_id=case_id, **kwargs)
    return _detail(user, case_id)


ACTION: dict[int, Any] = {200: CaseDetailOut, **WRITE_ERRORS}
CASE_ID = Path(..., ge=1, le=MAX_ID)


@router.post("/{case_id}/actions/start_pre_review", response=ACTION, summary="开始网上预审（受理单位）")
def start_pre_review(request: HttpRequest, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_start_pre_review)


@router.post("/{case_id}/actions/request_correction", response=ACTION, summary="一次性告知补正（受理单位）")
def request_correction(request: HttpRequest, payload: CorrectionIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_request_correction, items=[i.dict() for i in payload.items])


@router.post("/{case_id}/actions/accept", response=ACTION, summary="受理（受理单位）")
def accept(request: HttpRequest, payload: NoteIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_accept, note=payload.note)


@router.post("/{case_id}/actions/refuse", response=ACTION, summary="不予受理（受理单位）")
def refuse(request: HttpRequest, payload: RefuseIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_refuse, reason_code=str(payload.reason_code), reason=payload.reason)


@router.post("/{case_id}/actions/forward", response=ACTION, summary="转报承办部门（代收代办）")
def forward(request: HttpRequest, payload: NoteIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_forward, note=payload.note)


@router.post("/{case_id}/actions/start_review", response=ACTION, summary="开始审查（承办单位）")
def start_review(request: HttpRequest, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_start_review)


@router.post("/{case_id}/actions/suspend", response=ACTION, summary="进入特别程序，期限中止（承办单位）")
def suspend(request: HttpRequest, payload: SuspendIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_suspend, basis=str(payload.basis), reason=payload.reason)


@router.post("/{case_id}/actions/resume", response=ACTION, summary="特别程序结束（承办单位）")
def resume(request: HttpRequest, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_resume)


@router.post("/{case_id}/actions/extend", response=ACTION, summary="延长审查期限（部门负责人）")
def extend(request: HttpRequest, payload: ExtendIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_extend, reason=payload.reason, days=payload.days)


@router.post("/{case_id}/actions/approve", response=ACTION, summary="准予许可（承办单位）")
def approve(request: HttpRequest, payload: ApproveIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_approve, note=payload.note, licence_name=payload.licence_name,
                valid_to=payload.valid_to)


@router.post("/{case_id}/actions/reject", response=ACTION, summary="不予许可（承办单位）")
def reject(request: HttpRequest, payload: RejectIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_reject, reason=payload.reason)


@router.post("/{case_id}/actions/deliver", response=ACTION, summary="送达结果（受理单位）")
def deliver(request: HttpRequest, payload: DeliverIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_deliver, method=str(payload.method), note=payload.note)


@router.post("/{case_id}/actions/reassign", response=ACTION, summary="改派经办人（部门负责人）")
def reassign(request: HttpRequest, payload: ReassignIn, case_id: int = CASE_ID) -> CaseDetailOut:
    return _act(request, case_id, services.case_reassign, handler_id=payload.handler_id)
