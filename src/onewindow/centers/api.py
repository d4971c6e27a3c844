"""The centers part of the JSON API (/api/v1/centers/): the hall devices, the ticket's holder, the
window clerk, the resident who books, and the center manager (issue #4 part 6).

Handlers parse, call one service or selector, and render; rules, actors and legal basis are in
``services`` and ``selectors``. Every refusal is ``{code, message, fields}`` in the request's
language: 401 no or a bad credential; 403 not allowed (``not_center_staff``, ``insufficient_scope``,
``device_kind_not_allowed`` …); 404 unknown; 409 not now (``center_closed``, ``queue_empty``,
``ticket_illegal_transition``, ``slot_full`` …); 422 invalid input with the fields.

- Public, no credentials: ``GET centers/{code}/board`` (waiting board), ``GET centers/{code}/slots``
  (open appointment slots), and by the ticket's status code (its QR code, 32^10 values: the code
  is the credential of the ticket's holder, like the paper ticket) ``GET tickets/{status_code}``,
  ``POST tickets/{status_code}/cancel``, ``POST tickets/{status_code}/rating``.
- Devices (``devices/…``, device_auth: a bearer token with the scope ``device`` bound to an active
  Device): a ticket printer or kiosk takes tickets (limited per device and per number, 429) and
  checks appointments in, and confirms a typed phone number with its one-time code (``devices/
  phone-code``: no queue SMS before); a call keypad works
  its own window (call next, recall, skip, start, finish, transfer — always the window's current
  ticket); a rating pad rates the service that just ended at its window; ``GET devices/me``.
- Window clerks (session, or a token of theirs with the scope ``centers``): ``POST
  windows/{window_id}/call-next`` and ``POST tickets/{ticket_id}/recall|skip|start|finish|transfer``;
  the services limit them to the centers they staff.
- Residents (browser session only — booking by scripts is what the rate limit and the pages'
  challenge fight): ``GET/POST appointments``, ``PATCH/DELETE appointments/{appointment_id}``.
- Center managers (session or ``centers`` token): ``POST windows/{window_id}/state`` (also the clerk
  on duty), ``PUT windows/{window_id}/categories`` (弹性调配), ``GET centers/{center_id}/live``.
- Clerks of the center sign themselves in and out at a window (上岗签到 / 离岗签退): ``POST
  windows/{window_id}/sign-in`` and ``POST windows/{window_id}/sign-out``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from onewindow.accounts.api_auth import require_user, session_only, session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import PermissionDenied
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated
from onewindow.ratings.choices import BAD_LEVELS
from onewindow.ratings.models import Rating

from . import selectors, services
from .choices import DeviceKind, TicketSource
from .device_auth import device_auth, device_auth_folded, device_of, seen
from .models import Device, Ticket
from .printout import printout
from .schemas import (
    AppointmentOut,
    AppointmentPageOut,
    BoardOut,
    BookIn,
    CheckInIn,
    CodeRatingIn,
    DeviceOut,
    ErrorOut,
    FinishIn,
    PadRatingIn,
    PhoneCodeIn,
    RatingOut,
    SlotPageOut,
    TakeIn,
    TakenOut,
    TicketOut,
    TicketStatusOut,
    TransferIn,
    WindowCategoriesIn,
    WindowEventOut,
    WindowLivePageOut,
    WindowOut,
    WindowStateBody,
    appointment_out,
    board_out,
    device_out,
    live_out,
    slot_out,
    status_out,
    taken_out,
    ticket_out,
    window_out,
)
from .services.queue import ticket_skip_current  # the keypad's skip (not in the services package's list)

router = Router(tags=["centers"])

MAX_ID = 2**63 - 1
SCOPE = "centers"  # the app's token scope (a clerk's window system); a session holds every scope
CODE = Path(..., min_length=1, max_length=32, description="中心代码")
STATUS_CODE = Path(..., min_length=1, max_length=16, description="排队号查询码（票面二维码）")
PUBLIC_ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut}
PUBLIC_WRITE: dict[int, Any] = {**PUBLIC_ERRORS, 409: ErrorOut}
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
BOOK_ERRORS: dict[int, Any] = {**ERRORS, 429: ErrorOut}
KEYPAD_KINDS = frozenset({DeviceKind.CALL_KEYPAD})
TAKING_KINDS = frozenset({DeviceKind.TICKET_PRINTER, DeviceKind.KIOSK})


def _rating_out(rating: Rating) -> RatingOut:
    return RatingOut(level=rating.level, channel=rating.channel, follow_up=rating.level in BAD_LEVELS)


# --------------------------------------------------------------------------- public
@router.get("/centers/{code}/board", auth=None, response={200: BoardOut, **PUBLIC_ERRORS},
            summary="等候看板（公开）",
            description="各排队类别的等候人数、今日平均等候分钟数、预计等候区间和最近叫号；供大厅显示屏和微信页面。")
def board(request: HttpRequest, code: str = CODE) -> BoardOut:
    return board_out(selectors.center_board(code))


@router.get("/centers/{code}/slots", auth=None, response={200: SlotPageOut, **PUBLIC_ERRORS},
            summary="可预约时段（公开）",
            description="中心尚有余量、尚未开始的预约时段，可按排队类别筛选；查询区间从今天起，默认至可预约期的最后一天"
                        "（今天起 CENTERS_BOOKING_HORIZON_DAYS 天，默认 14 天），date_to 超出可预约期时 422 "
                        "date_range_invalid。")
def slots(request: HttpRequest, code: str = CODE, date_from: datetime.date | None = None,
          date_to: datetime.date | None = None,
          category_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
          page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
          page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    center = selectors.center_by_code(code)
    return paginated(selectors.open_slots(center, category_id=category_id, date_from=date_from, date_to=date_to,
                                          free_only=True), page, page_size, slot_out)


@router.get("/tickets/{status_code}", auth=None, response={200: TicketStatusOut, **PUBLIC_ERRORS},
            summary="排队号状态（扫票面二维码，公开）",
            description="前面还有几人、预计等候区间、叫到的窗口；不含任何个人信息。")
def ticket_status(request: HttpRequest, status_code: str = STATUS_CODE) -> TicketStatusOut:
    return status_out(selectors.ticket_status(status_code))


@router.post("/tickets/{status_code}/cancel", auth=None, response={200: TicketStatusOut, **PUBLIC_WRITE},
             summary="取消排队（持票人）", description="仅等候中的排队号可以取消；已叫号或已结束时 409。")
def ticket_cancel(request: HttpRequest, status_code: str = STATUS_CODE) -> TicketStatusOut:
    services.ticket_cancel(status_code=status_code)
    return status_out(selectors.ticket_status(status_code))


@router.post("/tickets/{status_code}/rating", auth=None, response={201: RatingOut, **PUBLIC_WRITE},
             summary="评价本次窗口服务（持票人，一次一评）",
             description="办结后可评价一次（409 service_not_given / already_rated）；差评自动转入整改回访。")
def ticket_rate(request: HttpRequest, payload: CodeRatingIn, status_code: str = STATUS_CODE) -> Status[RatingOut]:
    rating = services.service_rate_by_code(status_code=status_code, level=payload.level, comment=payload.comment,
                                           channel=payload.channel)
    return Status(201, _rating_out(rating))


# --------------------------------------------------------------------------- devices
def _device(request: HttpRequest, kinds: frozenset[str]) -> Device:
    device = device_of(request)
    if device.kind not in kinds:
        raise PermissionDenied(_("此类设备不能执行该操作。"), code="device_kind_not_allowed")
    return device


def _keypad(request: HttpRequest) -> Device:
    device = _device(request, KEYPAD_KINDS)
    if device.window_id is None:
        raise PermissionDenied(_("该叫号器未绑定窗口，请联系中心管理员。"), code="device_without_window")
    return device


def _current(device: Device) -> Ticket:
    """The ticket called to or being served at the keypad's window (409 no_current_ticket)."""
    assert device.window_id is not None  # _keypad refused a keypad without a window
    return selectors.window_current_ticket(device.window_id)


def _shown(ticket: Ticket) -> TicketOut:
    # The services return the ticket with its category and window loaded; the target window is
    # only set by a transfer, which assigns the object itself: no further query.
    return ticket_out(ticket)


@router.get("/devices/me", auth=device_auth, response={200: DeviceOut, **ERRORS}, summary="本设备信息（设备）",
            description="设备开机自检：所属中心、类型和绑定的窗口。")
def device_me(request: HttpRequest) -> DeviceOut:
    return device_out(device_of(request))


@router.post("/devices/ticket", auth=device_auth_folded, response={201: TakenOut, **ERRORS},
             summary="取号（取号机、一体机）",
             description="打印内容：排队号、前面人数、预计等候区间和状态页二维码（status_url）。"
                         "中心不在取号时间 409 center_closed；优先取号（elderly、vip）为设备上的专用按键。")
def device_take(request: HttpRequest, payload: TakeIn) -> Status[TakenOut]:
    device = _device(request, TAKING_KINDS)
    source = TicketSource.KIOSK if device.kind == DeviceKind.KIOSK else TicketSource.DEVICE
    with seen(device):  # the device's once-a-minute "seen" in the take's transaction
        ticket = services.ticket_take(by=device, center_id=device.center_id, category_id=payload.category_id,
                                      priority=payload.priority, source=source, phone=payload.phone)
    return Status(201, taken_out(ticket, printout(ticket)))  # the ticket in hand: not read again


@router.post("/devices/phone-code", auth=device_auth, response={200: TakenOut, **ERRORS},
             summary="确认短信提醒手机号（取号机、一体机）",
             description="取号时输入的手机号须用发到该号的 6 位验证码确认后才发近号、叫号短信（10 分钟内有效，"
                         "错 5 次作废）。验证码不对 422 phone_code_invalid，过期 409 phone_code_expired，"
                         "错误过多 429 phone_code_locked，没有待确认的验证码 404 phone_code_not_found。")
def device_phone_code(request: HttpRequest, payload: PhoneCodeIn) -> TakenOut:
    device = _device(request, TAKING_KINDS)
    ticket = services.phone_check_confirm(status_code=payload.status_code, code=payload.code, device=device)
    return taken_out(ticket, selectors.ticket_status(ticket.status_code))


@router.post("/devices/check-in", auth=device_auth, response={201: TakenOut, **ERRORS},
             summary="预约签到（取号机、一体机）",
             description="扫描或输入预约码，预约转为优先排队号（预约时段前 30 分钟至结束后 15 分钟内）。")
def device_check_in(request: HttpRequest, payload: CheckInIn) -> Status[TakenOut]:
    device = _device(request, TAKING_KINDS)
    ticket = services.appointment_check_in(by=device, code=payload.code)
    return Status(201, taken_out(ticket, selectors.ticket_status(ticket.status_code)))


@router.post("/devices/call-next", auth=device_auth_folded, response={200: TicketOut, **ERRORS},
             summary="叫下一位（叫号器）",
             description="本窗口的下一位；窗口未开放、仍有未办结的号或无人等候时 409。")
def device_call_next(request: HttpRequest) -> TicketOut:
    device = _keypad(request)
    with seen(device):
        return _shown(services.ticket_call_next(by=device, window_id=device.window_id))


@router.post("/devices/recall", auth=device_auth, response={200: TicketOut, **ERRORS}, summary="重呼（叫号器）",
             description="重呼本窗口当前叫到的号。")
def device_recall(request: HttpRequest) -> TicketOut:
    device = _keypad(request)
    return _shown(services.ticket_recall(by=device, ticket_id=_current(device).pk))


@router.post("/devices/skip", auth=device_auth_folded, response={200: TicketOut, **ERRORS}, summary="过号（叫号器）",
             description="本窗口当前叫到的人未到，过号。")
def device_skip(request: HttpRequest) -> TicketOut:
    device = _keypad(request)
    assert device.window_id is not None  # _keypad refused a keypad without a window
    with seen(device):  # the window's current ticket found and locked in one query (409 no_current_ticket)
        return _shown(ticket_skip_current(by=device, window_id=device.window_id))


@router.post("/devices/start", auth=device_auth, response={200: TicketOut, **ERRORS}, summary="开始办理（叫号器）")
def device_start(request: HttpRequest) -> TicketOut:
    device = _keypad(request)
    return _shown(services.ticket_start(by=device, ticket_id=_current(device).pk))


@router.post("/devices/finish", auth=device_auth, response={200: TicketOut, **ERRORS}, summary="办结（叫号器）",
             description="办结本窗口正在办理的号；随后评价器可评价本次服务。")
def device_finish(request: HttpRequest, payload: FinishIn) -> TicketOut:
    device = _keypad(request)
    return _shown(services.ticket_finish(by=device, ticket_id=_current(device).pk, case_ids=payload.case_ids))


@router.post("/devices/transfer", auth=device_auth, response={200: TicketOut, **ERRORS}, summary="转移（叫号器）",
             description="把本窗口当前的号转往另一类别或指定窗口，保留原排队位置。")
def device_transfer(request: HttpRequest, payload: TransferIn) -> TicketOut:
    device = _keypad(request)
    return _shown(services.ticket_transfer(by=device, ticket_id=_current(device).pk,
                                           to_category_id=payload.to_category_id, to_window_id=payload.to_window_id))


@router.post("/devices/rating", auth=device_auth, response={201: RatingOut, **ERRORS}, summary="评价（窗口评价器）",
             description="评价本窗口刚办结（10 分钟内）的服务，一次一评；差评自动转入整改回访。")
def device_rate(request: HttpRequest, payload: PadRatingIn) -> Status[RatingOut]:
    rating = services.service_rate_at_pad(by=device_of(request), level=payload.level, comment=payload.comment)
    return Status(201, _rating_out(rating))


# --------------------------------------------------------------------------- window clerks and managers
# The clerk acts as a person (accounts.api_auth.require_user): a session, or a token of theirs with
# the ``centers`` scope; a token without an owner is 403 token_without_user as in every app.
TICKET_ID = Path(..., ge=1, le=MAX_ID)
WINDOW_ID = Path(..., ge=1, le=MAX_ID)


@router.post("/windows/{window_id}/call-next", auth=session_or_token, response={200: TicketOut, **ERRORS},
             summary="叫下一位（窗口人员）", description="本中心工作人员为窗口叫号；规则同叫号器。")
def call_next(request: HttpRequest, window_id: int = WINDOW_ID) -> TicketOut:
    return _shown(services.ticket_call_next(by=require_user(request, SCOPE), window_id=window_id))


@router.post("/tickets/{ticket_id}/recall", auth=session_or_token, response={200: TicketOut, **ERRORS},
             summary="重呼（窗口人员）")
def recall(request: HttpRequest, ticket_id: int = TICKET_ID) -> TicketOut:
    return _shown(services.ticket_recall(by=require_user(request, SCOPE), ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/skip", auth=session_or_token, response={200: TicketOut, **ERRORS},
             summary="过号（窗口人员）")
def skip(request: HttpRequest, ticket_id: int = TICKET_ID) -> TicketOut:
    return _shown(services.ticket_skip(by=require_user(request, SCOPE), ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/start", auth=session_or_token, response={200: TicketOut, **ERRORS},
             summary="开始办理（窗口人员）")
def start(request: HttpRequest, ticket_id: int = TICKET_ID) -> TicketOut:
    return _shown(services.ticket_start(by=require_user(request, SCOPE), ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/finish", auth=session_or_token, response={200: TicketOut, **ERRORS},
             summary="办结（窗口人员）",
             description="可同时关联本次服务中受理的办件（须为本中心受理）。")
def finish(request: HttpRequest, payload: FinishIn, ticket_id: int = TICKET_ID) -> TicketOut:
    return _shown(services.ticket_finish(by=require_user(request, SCOPE), ticket_id=ticket_id,
                                         case_ids=payload.case_ids))


@router.post("/tickets/{ticket_id}/transfer", auth=session_or_token, response={200: TicketOut, **ERRORS},
             summary="转移（窗口人员）", description="转往另一类别或指定窗口，保留原排队位置。")
def transfer(request: HttpRequest, payload: TransferIn, ticket_id: int = TICKET_ID) -> TicketOut:
    return _shown(services.ticket_transfer(by=require_user(request, SCOPE), ticket_id=ticket_id,
                                           to_category_id=payload.to_category_id, to_window_id=payload.to_window_id))


@router.post("/windows/{window_id}/state", auth=session_or_token, response={200: WindowOut, **ERRORS},
             summary="开窗、暂停、关窗（中心负责人或当班人员）",
             description="还有已叫号或办理中的号时不能关窗（409 window_busy）。")
def window_state(request: HttpRequest, payload: WindowStateBody, window_id: int = WINDOW_ID) -> WindowOut:
    window = services.window_set_state(by=require_user(request, SCOPE), window_id=window_id, state=payload.state)
    return window_out(selectors.window_with_categories(window.pk))


@router.post("/windows/{window_id}/sign-in", auth=session_or_token, response={201: WindowEventOut, **ERRORS},
             summary="上岗签到（本中心工作人员）",
             description="在其他窗口已签到的，先在那里签退（仍有办理中的号时 409 window_busy）；"
                         "本窗口已有他人签到时 409 window_signed_in。")
def sign_in(request: HttpRequest, window_id: int = WINDOW_ID) -> Status[WindowEventOut]:
    return Status(201, _event_out(services.clerk_sign_in(by=require_user(request, SCOPE), window_id=window_id)))


@router.post("/windows/{window_id}/sign-out", auth=session_or_token, response={200: WindowEventOut, **ERRORS},
             summary="离岗签退（在本窗口签到的工作人员）",
             description="未在本窗口签到时 409 not_signed_in；还有已叫号或办理中的号时 409 window_busy。")
def sign_out(request: HttpRequest, window_id: int = WINDOW_ID) -> WindowEventOut:
    return _event_out(services.clerk_sign_out(by=require_user(request, SCOPE), window_id=window_id))


def _event_out(event: Any) -> WindowEventOut:
    return WindowEventOut(id=event.pk, window_id=event.window_id, action=event.action, at=event.at)


@router.put("/windows/{window_id}/categories", auth=session_or_token, response={200: WindowOut, **ERRORS},
            summary="调整窗口受理类别（弹性调配，中心负责人）", description="下一次叫号起生效。")
def window_categories(request: HttpRequest, payload: WindowCategoriesIn, window_id: int = WINDOW_ID) -> WindowOut:
    window = services.window_set_categories(by=require_user(request, SCOPE), window_id=window_id,
                                            category_ids=list(payload.category_ids))
    return window_out(selectors.window_with_categories(window.pk))


@router.get("/centers/{center_id}/live", auth=session_or_token, response={200: WindowLivePageOut, **ERRORS},
            summary="窗口实时状态（中心工作人员）",
            description="每个窗口正在叫号或办理的号、起始时间和受理员（脱敏）。")
def center_live(request: HttpRequest, center_id: int = Path(..., ge=1, le=MAX_ID),
                page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
                page_size: NfkcInt = Query(MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    return paginated(selectors.center_live_for(require_user(request, SCOPE), center_id), page, page_size, live_out)


# --------------------------------------------------------------------------- residents' appointments
# The resident acts as a person too (require_user); these operations take a browser session only.
def _appointment(user: User, appointment_id: int) -> AppointmentOut:
    return appointment_out(selectors.appointment_get_for(user, appointment_id=appointment_id))


APPOINTMENT_ID = Path(..., ge=1, le=MAX_ID)


@router.get("/appointments", auth=session_only, response={200: AppointmentPageOut, **ERRORS},
            summary="我的预约（登录居民）",
            description="本人（实名登记的办事人）最近的预约，新的在前。")
def my_appointments(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
                    page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    return paginated(selectors.appointments_for(require_user(request, SCOPE), limit=100), page, page_size,
                     appointment_out)


@router.post("/appointments", auth=session_only, response={201: AppointmentOut, **BOOK_ERRORS},
             summary="网上预约（登录居民）",
             description="预约一个时段：约满 409 slot_full，当天同类已约 409 already_booked，多次爽约暂停预约 409 "
                         "booking_restricted，未实名 422 real_name_required，操作过频 429。")
def book(request: HttpRequest, payload: BookIn) -> Status[AppointmentOut]:
    user = require_user(request, SCOPE)
    appointment = services.appointment_book(by=user, slot_id=payload.slot_id, channel="web")
    return Status(201, _appointment(user, appointment.pk))


@router.patch("/appointments/{appointment_id}", auth=session_only, response={200: AppointmentOut, **BOOK_ERRORS},
              summary="改约（登录居民）", description="取消原预约并预约新时段，二者同时成功或都不发生。")
def change(request: HttpRequest, payload: BookIn, appointment_id: int = APPOINTMENT_ID) -> AppointmentOut:
    user = require_user(request, SCOPE)
    appointment = services.appointment_change(by=user, appointment_id=appointment_id, slot_id=payload.slot_id)
    return _appointment(user, appointment.pk)


@router.delete("/appointments/{appointment_id}", auth=session_only, response={200: AppointmentOut, **ERRORS},
               summary="取消预约（登录居民）", description="时段开始前可取消，名额释放。")
def cancel(request: HttpRequest, appointment_id: int = APPOINTMENT_ID) -> AppointmentOut:
    user = require_user(request, SCOPE)
    appointment = services.appointment_cancel(by=user, appointment_id=appointment_id)
    return _appointment(user, appointment.pk)
