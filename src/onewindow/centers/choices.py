"""Enumerations of the service centers: levels, windows, tickets, appointments, devices."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CenterLevel(models.TextChoices):
    """The three levels of centers (seed: 市级大厅 / 区行政服务中心 / 街镇社区事务受理服务中心)."""

    CITY = "city", _("市级政务服务大厅")
    DISTRICT = "district", _("区行政服务中心")
    STREET = "street", _("街镇社区事务受理服务中心")


class WindowKind(models.TextChoices):
    """综合窗口 serves many categories (一口受理); a specialised window one line of business."""

    COMPREHENSIVE = "comprehensive", _("综合窗口")
    SPECIALISED = "specialised", _("专业窗口")


class WindowState(models.TextChoices):
    OPEN = "open", _("开放")
    PAUSED = "paused", pgettext_lazy("window state", "暂停")
    CLOSED = "closed", _("关闭")


class TicketStatus(models.TextChoices):
    """排队号状态: waiting → called → serving → done; no-show after a skip; cancelled by its holder."""

    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", pgettext_lazy("ticket status", "过号")
    CANCELLED = "cancelled", pgettext_lazy("ticket status", "已取消")


class TicketAction(models.TextChoices):
    TAKE = "take", _("取号")
    CALL = "call", _("叫号")
    RECALL = "recall", _("重呼")
    SKIP = "skip", _("过号")
    REQUEUE = "requeue", _("过号重排")
    TRANSFER = "transfer", _("转移")
    START = "start", _("开始办理")
    FINISH = "finish", _("办结")
    CANCEL = "cancel", _("取消")


class TicketPriority(models.TextChoices):
    """Priority classes; each moves the ticket ahead by a bounded number of minutes (no starvation)."""

    NORMAL = "normal", _("普通")
    APPOINTMENT = "appointment", _("预约")
    ELDERLY = "elderly", _("老年人、残疾人优先")
    VIP = "vip", _("绿色通道")


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("自助取号机")
    WECHAT = "wechat", _("微信")
    WINDOW = "window", _("窗口")
    APPOINTMENT = "appointment", _("预约签到")
    DEVICE = "device", _("取号设备")


class AppointmentStatus(models.TextChoices):
    """预约状态: booked → checked in (a priority ticket) or cancelled or no-show."""

    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已签到")
    CANCELLED = "cancelled", pgettext_lazy("appointment status", "已取消")
    NO_SHOW = "no_show", _("爽约")


class AppointmentAction(models.TextChoices):
    """The steps of an appointment (workflow.APPOINTMENT_TRANSITIONS), one event row each."""

    BOOK = "book", pgettext_lazy("appointment action", "预约")
    CHANGE = "change", _("改约")
    CANCEL = "cancel", _("取消预约")
    CHECK_IN = "check_in", _("签到")
    NO_SHOW = "no_show", pgettext_lazy("appointment action", "爽约")


class DeviceKind(models.TextChoices):
    """The hall's devices (seed: 取号叫号评价器, 自助服务一体机, display boards)."""

    TICKET_PRINTER = "ticket_printer", _("取号机")
    CALL_KEYPAD = "call_keypad", _("叫号器")
    RATING_PAD = "rating_pad", _("评价器")
    DISPLAY = "display", _("显示屏")
    KIOSK = "kiosk", _("自助服务一体机")


class WindowEventAction(models.TextChoices):
    """窗口与在岗记录: a window's state changes and a clerk's sign-in/out at it — the facts of time
    on duty (工作人员有效受理时长, issue #14 part 3). Before these rows only the audit knew them."""

    OPEN = "open", _("开窗")
    PAUSE = "pause", pgettext_lazy("window action", "暂停")
    RESUME = "resume", _("恢复")
    CLOSE = "close", _("关窗")
    SIGN_IN = "sign_in", _("上岗签到")
    SIGN_OUT = "sign_out", _("离岗签退")
