"""Schemas of the centers API (/api/v1/centers/) and the functions that render its answers.

Personal data is masked in every response (GB/T 35273-2020 §3.14, PIPL art. 51): a ticket's
phone, an appointment holder's name and a clerk's name appear masked; the ticket's status page
shows no personal data at all (its code is the only key, like a paper ticket).
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.conf import settings
from ninja import Schema
from pydantic import Field

from onewindow.core.masking import mask_name, mask_phone
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape
from onewindow.core.schemas import PageOut

from .models import Appointment, AppointmentSlot, Device, Ticket, Window
from .selectors import Board, TicketStatusView, WindowLive

MAX_ID = 2**63 - 1
#: The public status page of a ticket (the QR code printed on it), served by the centers pages.
STATUS_PAGE_PATH = "/centers/t/{code}/"

Priority = Literal["normal", "elderly", "vip"]
WindowStateIn = Literal["open", "paused", "closed"]
RatingLevelIn = Literal[1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- input
class TakeIn(Schema):
    """取号 at a ticket printer or kiosk. ``elderly`` / ``vip`` are the device's priority buttons."""

    category_id: NfkcInt = Field(..., ge=1, le=MAX_ID, description="排队类别")
    priority: Priority = Field("normal", description="normal 普通 | elderly 老年人、残疾人优先 | vip 绿色通道")
    phone: NfkcStr = Field("", max_length=20, description="接收叫号短信的手机号（可选）")


class CheckInIn(Schema):
    code: NfkcStr = Field(..., min_length=1, max_length=12, description="预约码")


class PhoneCodeIn(Schema):
    """短信提醒确认 at a ticket printer or kiosk: the one-time code sent to the number typed at it."""

    status_code: NfkcStr = Field(..., min_length=1, max_length=16, description="排队号的查询码")
    code: NfkcStr = Field(..., min_length=1, max_length=8, description="短信验证码（6 位）")


class FinishIn(Schema):
    case_ids: list[NfkcInt] = Field(default_factory=list, max_length=50,
                                description="本次服务中受理的办件（可选）")


class TransferIn(Schema):
    to_category_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID, description="转往的排队类别")
    to_window_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID, description="转往的窗口")


class PadRatingIn(Schema):
    level: RatingLevelIn = Field(..., description="5 非常满意 … 1 非常不满意")
    comment: str = Field("", max_length=500)


class CodeRatingIn(PadRatingIn):
    channel: Literal["web", "wechat", "sms"] = Field("web", description="评价渠道")


class BookIn(Schema):
    slot_id: NfkcInt = Field(..., ge=1, le=MAX_ID, description="预约时段")


class WindowStateBody(Schema):
    state: WindowStateIn


class WindowCategoriesIn(Schema):
    category_ids: list[NfkcInt] = Field(..., min_length=1, max_length=50)


# --------------------------------------------------------------------------- output
class WaitOut(Schema):
    low: int = Field(..., description="预计等候分钟数下限；-1 表示暂无开放窗口，无法估算")
    high: int


class TicketStatusOut(Schema):
    """The public status page of a ticket: no personal data."""

    display: str
    center: str
    category: str
    status: str
    status_label: str
    ahead: int
    wait: WaitOut
    window: int | None
    taken_at: datetime.datetime
    called_at: datetime.datetime | None
    rateable: bool


class TakenOut(Schema):
    """What the ticket printer prints: the number, people ahead, wait, and the QR of the status page."""

    id: int
    display: str
    category: str
    priority: str
    ahead: int
    wait: WaitOut
    status_code: str
    status_url: str
    phone: str = Field("", description="脱敏手机号")
    phone_confirmed: bool = Field(False, description="手机号已确认：临近叫号和叫号时发短信提醒")
    taken_at: datetime.datetime


class TicketOut(Schema):
    """A ticket as a window sees it (call keypad, clerk): no personal data but the masked phone."""

    id: int
    display: str
    category: str
    status: str
    status_label: str
    priority: str
    window: int | None
    target_window: int | None
    recalls: int
    phone: str
    taken_at: datetime.datetime
    called_at: datetime.datetime | None
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class RatingOut(Schema):
    level: int
    channel: str
    follow_up: bool = Field(..., description="差评：已转入整改回访")


class BoardRowOut(Schema):
    prefix: str
    name: str
    waiting: int
    avg_wait_minutes: int
    wait: WaitOut
    windows: int


class CallOut(Schema):
    display: str
    window: int


class BoardOut(Schema):
    code: str
    name: str
    rows: list[BoardRowOut]
    recent_calls: list[CallOut]


class SlotOut(Schema):
    id: int
    category_id: int
    category: str
    date: datetime.date
    starts: datetime.time
    ends: datetime.time
    free: int


class DeviceOut(Schema):
    id: int
    kind: str
    name: str
    center_code: str
    center: str
    window: int | None
    window_id: int | None


class AppointmentOut(Schema):
    id: int
    code: str
    status: str
    center: str
    category: str
    date: datetime.date
    starts: datetime.time
    ends: datetime.time
    person: str = Field(..., description="预约人（脱敏）")
    channel: str


class WindowOut(Schema):
    id: int
    number: int
    state: str
    categories: list[str]


class WindowEventOut(Schema):
    """One sign-in or sign-out of a clerk at a window (上岗签到 / 离岗签退)."""

    id: int
    window_id: int
    action: str
    at: datetime.datetime


class WindowLiveOut(Schema):
    window: int
    window_id: int
    state: str
    categories: list[str]
    ticket: str | None
    status: str | None
    since: datetime.datetime | None
    clerk: str = Field(..., description="受理员（脱敏）")


class SlotPageOut(PageOut):
    items: list[SlotOut]


class AppointmentPageOut(PageOut):
    items: list[AppointmentOut]


class WindowLivePageOut(PageOut):
    items: list[WindowLiveOut]


# --------------------------------------------------------------------------- rendering
def wait_out(wait: tuple[int, int]) -> WaitOut:
    return WaitOut(low=wait[0], high=wait[1])


def status_url(code: str) -> str:
    base = str(getattr(settings, "ONEWINDOW_PUBLIC_URL", "")).rstrip("/")
    return base + STATUS_PAGE_PATH.format(code=code)


def status_out(view: TicketStatusView) -> TicketStatusOut:
    return TicketStatusOut(display=view.display, center=view.center, category=view.category, status=view.status,
                           status_label=view.status_label, ahead=view.ahead, wait=wait_out(view.wait),
                           window=view.window, taken_at=view.taken_at, called_at=view.called_at,
                           rateable=view.rateable)


def taken_out(ticket: Ticket, view: TicketStatusView) -> TakenOut:
    return TakenOut(id=ticket.pk, display=ticket.display, category=ticket.category.name, priority=ticket.priority,
                    ahead=view.ahead, wait=wait_out(view.wait), status_code=ticket.status_code,
                    status_url=status_url(ticket.status_code), phone=mask_phone(ticket.phone),
                    phone_confirmed=ticket.phone_confirmed_at is not None, taken_at=ticket.taken_at)


def ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut(id=ticket.pk, display=ticket.display, category=ticket.category.name, status=ticket.status,
                     status_label=str(ticket.get_status_display()), priority=ticket.priority,
                     window=ticket.window.number if ticket.window else None,
                     target_window=ticket.target_window.number if ticket.target_window else None,
                     recalls=ticket.recalls, phone=mask_phone(ticket.phone), taken_at=ticket.taken_at,
                     called_at=ticket.called_at, started_at=ticket.started_at, finished_at=ticket.finished_at)


def board_out(board: Board) -> BoardOut:
    return BoardOut(code=board.center.code, name=board.center.name,
                    rows=[BoardRowOut(prefix=r.prefix, name=r.name, waiting=r.waiting,
                                      avg_wait_minutes=r.avg_wait_minutes, wait=wait_out(r.wait), windows=r.windows)
                          for r in board.rows],
                    recent_calls=[CallOut(display=d, window=w) for d, w in board.recent_calls])


def slot_out(slot: AppointmentSlot) -> SlotOut:
    return SlotOut(id=slot.pk, category_id=slot.category_id, category=slot.category.name, date=slot.date,
                   starts=slot.starts, ends=slot.ends, free=slot.free)


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(id=device.pk, kind=device.kind, name=device.name, center_code=device.center.code,
                     center=device.center.name, window=device.window.number if device.window else None,
                     window_id=device.window_id)


def appointment_out(appointment: Appointment) -> AppointmentOut:
    slot = appointment.slot
    return AppointmentOut(id=appointment.pk, code=appointment.code, status=appointment.status,
                          center=slot.center.name, category=slot.category.name, date=appointment.date,
                          starts=slot.starts, ends=slot.ends, person=mask_name(appointment.person.name),
                          channel=appointment.channel)


def window_out(window: Window) -> WindowOut:
    return WindowOut(id=window.pk, number=window.number, state=window.state,
                     categories=sorted(c.prefix for c in window.categories.all()))


def live_out(row: WindowLive) -> WindowLiveOut:
    ticket: Any = row.ticket
    return WindowLiveOut(window=row.window.number, window_id=row.window.pk, state=row.window.state,
                         categories=row.categories, ticket=ticket.display if ticket else None,
                         status=ticket.status if ticket else None, since=row.since, clerk=mask_name(row.clerk))
