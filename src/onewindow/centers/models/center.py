"""Centers, their opening hours, ticket categories, windows and who works where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import CenterLevel, WindowKind, WindowState


class Center(models.Model):
    """受理服务中心: a hall where people take tickets and are served at windows — the city hall, a
    district administrative service center or a street/town community affairs center (the seed's
    临汾路街道社区事务受理服务中心 handles 170 personal service items).

    ``department`` is the body cases are received under at this center's windows (受理单位).
    Closed on the core calendar's non-working days and outside its opening hours.
    """

    code = models.CharField(_("中心代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=CenterLevel.choices)
    region = models.ForeignKey("core.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT,
                               related_name="centers")
    department = models.ForeignKey("core.Department", verbose_name=_("受理单位"), on_delete=models.PROTECT,
                                   related_name="centers")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name=_("可办事项"), blank=True,
                                   related_name="centers")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("受理服务中心")
        verbose_name_plural = _("受理服务中心")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(level__in=CenterLevel.values),
                                              name="centers_center_level_valid")]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """开放时间 of a center on one weekday (0 = Monday). Adjusted workdays (调休上班) on a weekend
    follow Monday's hours; statutory holidays are closed (core calendar)."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("星期"))
    opens = models.TimeField(_("开始"))
    closes = models.TimeField(_("结束"))
    last_ticket = models.TimeField(_("停止取号"), help_text=_("此后不再发放当日排队号"))

    class Meta:
        verbose_name = _("开放时间")
        verbose_name_plural = _("开放时间")
        ordering = ["center_id", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="centers_hours_weekday_valid"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="centers_hours_ordered"),
            models.CheckConstraint(condition=Q(last_ticket__gte=models.F("opens"), last_ticket__lte=models.F("closes")),
                                   name="centers_hours_last_ticket_inside"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens}-{self.closes}"


class SpecialOpening(models.Model):
    """特殊开放: the opening of one date that replaces the weekday's hours — a Saturday service day,
    extended hours, or a closing (``closed``). Checked before the calendar, so a center can open on
    a non-working day or close on a working one."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE,
                               related_name="special_openings")
    date = models.DateField(_("日期"))
    closed = models.BooleanField(_("当日闭厅"), default=False)
    opens = models.TimeField(_("开始"), null=True, blank=True)
    closes = models.TimeField(_("结束"), null=True, blank=True)
    last_ticket = models.TimeField(_("停止取号"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("特殊开放日")
        verbose_name_plural = _("特殊开放日")
        ordering = ["center_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["center", "date"], name="centers_special_opening_unique"),
            models.CheckConstraint(
                condition=Q(closed=True) | Q(opens__isnull=False, closes__isnull=False, last_ticket__isnull=False,
                                             closes__gt=models.F("opens"),
                                             last_ticket__gte=models.F("opens"),
                                             last_ticket__lte=models.F("closes")),
                name="centers_special_opening_hours_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {'closed' if self.closed else f'{self.opens}-{self.closes}'}"


class TicketCategory(models.Model):
    """排队类别: a line of business with its letter prefix (A, B, …); numbers restart each day.

    ``service_minutes`` is the planned average, used for wait estimates until live times exist.
    """

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="categories")
    prefix = models.CharField(_("字头"), max_length=2)
    name = models.CharField(_("名称"), max_length=60)
    service_minutes = models.PositiveSmallIntegerField(_("平均办理时长（分钟）"), default=8)
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name=_("对应事项"), blank=True,
                                   related_name="ticket_categories")
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("排队类别")
        verbose_name_plural = _("排队类别")
        ordering = ["center_id", "sort", "prefix"]
        constraints = [models.UniqueConstraint(fields=["center", "prefix"], name="centers_category_prefix_unique")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class Window(models.Model):
    """窗口: a counter of the hall with the categories it serves (弹性调配: managers change them
    during the day) and its state (open, paused, closed)."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("名称"), max_length=60, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=WindowKind.choices, default=WindowKind.COMPREHENSIVE)
    categories = models.ManyToManyField(TicketCategory, verbose_name=_("受理类别"), blank=True, related_name="windows")
    state = models.CharField(_("状态"), max_length=10, choices=WindowState.choices, default=WindowState.CLOSED)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["center_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["center", "number"], name="centers_window_number_unique"),
            models.CheckConstraint(condition=Q(state__in=WindowState.values), name="centers_window_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=WindowKind.values), name="centers_window_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number}号窗口"


class WindowDuty(models.Model):
    """排班: who staffs a window on a day (one clerk per window and day; a clerk at one window a day)."""

    window = models.ForeignKey(Window, verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="duties")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.PROTECT,
                             related_name="window_duties")
    date = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("窗口排班")
        verbose_name_plural = _("窗口排班")
        ordering = ["-date", "window_id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "date"], name="centers_duty_one_clerk_per_window"),
            models.UniqueConstraint(fields=["user", "date"], name="centers_duty_one_window_per_clerk"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.window}"


class CenterStaff(models.Model):
    """The center scope of a staff member: a window clerk (受理员) or the center manager (中心负责人)
    of one center. Kept here rather than on accounts.StaffRole so that accounts does not depend on
    centers (docs/decisions/0006)."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.CASCADE,
                             related_name="center_roles")
    is_manager = models.BooleanField(_("中心负责人"), default=False)
    valid = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("中心工作人员")
        verbose_name_plural = _("中心工作人员")
        constraints = [models.UniqueConstraint(fields=["center", "user"], name="centers_staff_unique")]

    def __str__(self) -> str:
        return f"{self.center} {self.user}"
