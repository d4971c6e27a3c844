"""Rollups (汇总事实表, issue #14 part 1): hourly and daily facts of the centers, built by
``services.rollups`` from the event rows of centers, cases and ratings (read through those apps'
``facts`` selectors), never written by anything else. Pages and APIs read these tables, never the
raw history.

Each table is keyed by a (center, day) "partition": an update recomputes every partition that a
new event touched (a late event re-opens an old day) and replaces its rows, so a rebuild and any
sequence of updates give the same rows (decision 0017). Dimension columns are plain references
without database constraints (the facts are derived and rebuildable); ``None`` means "not
applicable" (a ticket never served has no window). Durations are seconds; each ``*_hist`` is a
``histogram`` list (fixed buckets) so that medians and p90s merge over any span.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import RollupRunKind, RollupSource


def _ref(to: str, label: Any) -> Any:
    return models.ForeignKey(to, verbose_name=label, null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")


class TicketHourFact(models.Model):
    """Queue tickets taken in one hour at a center, per category, source, and the window and clerk
    that served them (``None`` when not served): arrivals, served, no-shows, cancellations,
    transfers, waits (taken → first call) and service times (start → finish)."""

    center = _ref("centers.Center", _("中心"))
    day = models.DateField(_("日期"))
    hour = models.PositiveSmallIntegerField(_("小时"))
    category = _ref("centers.TicketCategory", _("类别"))
    source = models.CharField(_("取号渠道"), max_length=12)
    window = _ref("centers.Window", _("窗口"))
    clerk = _ref(settings.AUTH_USER_MODEL, _("受理员"))
    arrivals = models.PositiveIntegerField(_("取号数"), default=0)
    served = models.PositiveIntegerField(_("办理数"), default=0)
    no_shows = models.PositiveIntegerField(_("过号数"), default=0)
    cancelled = models.PositiveIntegerField(_("取消数"), default=0)
    transfers = models.PositiveIntegerField(_("转窗数"), default=0)
    waits = models.PositiveIntegerField(_("等候计数"), default=0)
    wait_seconds = models.BigIntegerField(_("等候总秒数"), default=0)
    wait_hist = models.JSONField(_("等候分布"), default=list)
    services = models.PositiveIntegerField(_("办理计时数"), default=0)
    service_seconds = models.BigIntegerField(_("办理总秒数"), default=0)
    service_hist = models.JSONField(_("办理时长分布"), default=list)

    class Meta:
        verbose_name = _("排队小时汇总")
        verbose_name_plural = _("排队小时汇总")
        indexes = [models.Index(fields=["center", "day", "hour"], name="analytics_ticket_fact_day"),
                   models.Index(fields=["clerk", "day"], name="analytics_ticket_fact_clerk")]
        constraints = [models.CheckConstraint(condition=Q(hour__lte=23), name="analytics_ticket_fact_hour_valid")]


    def __str__(self) -> str:
        return f"{self.center_id} {self.day} {self.hour}"


class TicketSlotFact(models.Model):
    """Queue tickets taken in one 30-minute slot of a center's day, per category: the demand and
    service facts of elastic staffing (弹性调配, issue #15), kept apart from ``TicketHourFact`` (no
    source, window or clerk dimension: one row per center, day, slot and category). ``slot`` is
    the local half-hour of ``taken_at`` (0 = 00:00–00:30 … 47); ``appointments`` tickets checked in
    from a booking (source appointment); ``priority`` tickets with a priority other than normal;
    the rest as in ``TicketHourFact``."""

    center = _ref("centers.Center", _("中心"))
    day = models.DateField(_("日期"))
    slot = models.PositiveSmallIntegerField(_("时段"))
    category = _ref("centers.TicketCategory", _("类别"))
    arrivals = models.PositiveIntegerField(_("取号数"), default=0)
    appointments = models.PositiveIntegerField(_("预约取号数"), default=0)
    priority = models.PositiveIntegerField(_("优先取号数"), default=0)
    served = models.PositiveIntegerField(_("办理数"), default=0)
    no_shows = models.PositiveIntegerField(_("过号数"), default=0)
    cancelled = models.PositiveIntegerField(_("取消数"), default=0)
    transfers = models.PositiveIntegerField(_("转窗数"), default=0)
    waits = models.PositiveIntegerField(_("等候计数"), default=0)
    wait_seconds = models.BigIntegerField(_("等候总秒数"), default=0)
    wait_hist = models.JSONField(_("等候分布"), default=list)
    services = models.PositiveIntegerField(_("办理计时数"), default=0)
    service_seconds = models.BigIntegerField(_("办理总秒数"), default=0)
    service_hist = models.JSONField(_("办理时长分布"), default=list)

    class Meta:
        verbose_name = _("排队时段汇总")
        verbose_name_plural = _("排队时段汇总")
        indexes = [models.Index(fields=["center", "day", "slot"], name="analytics_slot_fact_day")]
        constraints = [models.CheckConstraint(condition=Q(slot__lte=47), name="analytics_slot_fact_slot_valid")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.day} {self.slot}"


class CaseDayFact(models.Model):
    """Cases received on one day, per receiving department (and its center, if the department is a
    center's), item, channel and accepting clerk: received, accepted, not accepted, concluded
    (办结), withdrawn, overdue, still open; handling time (received → concluded) and the count per
    current status (``statuses``: status → count)."""

    day = models.DateField(_("收件日期"))
    department = _ref("core.Department", _("受理单位"))
    center = _ref("centers.Center", _("中心"))
    item = _ref("catalog.ServiceItem", _("事项"))
    channel = models.CharField(_("受理渠道"), max_length=20)
    clerk = _ref(settings.AUTH_USER_MODEL, _("受理人"))
    received = models.PositiveIntegerField(_("收件数"), default=0)
    accepted = models.PositiveIntegerField(_("受理数"), default=0)
    not_accepted = models.PositiveIntegerField(_("不予受理数"), default=0)
    concluded = models.PositiveIntegerField(_("办结数"), default=0)
    withdrawn = models.PositiveIntegerField(_("撤回数"), default=0)
    overdue = models.PositiveIntegerField(_("超期数"), default=0)
    open = models.PositiveIntegerField(_("在办数"), default=0)
    handling = models.PositiveIntegerField(_("办结计时数"), default=0)
    handling_seconds = models.BigIntegerField(_("办理总秒数"), default=0)
    handling_hist = models.JSONField(_("办理时长分布"), default=list)
    statuses = models.JSONField(_("状态分布"), default=dict)
    last_received_at = models.DateTimeField(_("最近收件时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件日汇总")
        verbose_name_plural = _("办件日汇总")
        indexes = [models.Index(fields=["center", "day"], name="analytics_case_fact_center"),
                   models.Index(fields=["department", "day"], name="analytics_case_fact_dept"),
                   models.Index(fields=["item", "day"], name="analytics_case_fact_item"),
                   models.Index(fields=["clerk", "day"], name="analytics_case_fact_clerk")]


    def __str__(self) -> str:
        return f"{self.department_id} {self.day} {self.item_id}"

class RatingDayFact(models.Model):
    """Ratings (好差评) given on one day, per department, center, item, window, clerk, channel and
    subject type: count, score total, count per level (``levels``: "1".."5" → count), bad ratings
    and their follow-ups (opened, closed, overdue)."""

    day = models.DateField(_("评价日期"))
    department = _ref("core.Department", _("被评价单位"))
    center = _ref("centers.Center", _("中心"))
    item = _ref("catalog.ServiceItem", _("事项"))
    window = _ref("centers.Window", _("窗口"))
    clerk = _ref(settings.AUTH_USER_MODEL, _("被评价工作人员"))
    channel = models.CharField(_("评价渠道"), max_length=10)
    subject_type = models.CharField(_("评价对象类别"), max_length=10)
    ratings = models.PositiveIntegerField(_("评价数"), default=0)
    score_total = models.PositiveIntegerField(_("总分"), default=0)
    levels = models.JSONField(_("等级分布"), default=dict)
    bad = models.PositiveIntegerField(_("差评数"), default=0)
    followups = models.PositiveIntegerField(_("回访数"), default=0)
    followups_closed = models.PositiveIntegerField(_("已办结回访"), default=0)
    followups_overdue = models.PositiveIntegerField(_("超期回访"), default=0)

    class Meta:
        verbose_name = _("评价日汇总")
        verbose_name_plural = _("评价日汇总")
        indexes = [models.Index(fields=["center", "day"], name="analytics_rating_fact_center"),
                   models.Index(fields=["department", "day"], name="analytics_rating_fact_dept"),
                   models.Index(fields=["clerk", "day"], name="analytics_rating_fact_clerk")]


    def __str__(self) -> str:
        return f"{self.department_id} {self.day}"

class DutyDayFact(models.Model):
    """A clerk's day at a window: time on duty (sign-in → sign-out or close, less pauses), time
    paused, time serving tickets, tickets served — the parts of 有效受理时长 (effective handling
    time = serving / on duty)."""

    center = _ref("centers.Center", _("中心"))
    day = models.DateField(_("日期"))
    window = _ref("centers.Window", _("窗口"))
    clerk = _ref(settings.AUTH_USER_MODEL, _("工作人员"))
    on_duty_seconds = models.PositiveIntegerField(_("在岗秒数"), default=0)
    paused_seconds = models.PositiveIntegerField(_("暂停秒数"), default=0)
    serving_seconds = models.PositiveIntegerField(_("办理秒数"), default=0)
    tickets_served = models.PositiveIntegerField(_("办理号数"), default=0)

    class Meta:
        verbose_name = _("在岗日汇总")
        verbose_name_plural = _("在岗日汇总")
        indexes = [models.Index(fields=["center", "day"], name="analytics_duty_fact_center"),
                   models.Index(fields=["clerk", "day"], name="analytics_duty_fact_clerk")]


    def __str__(self) -> str:
        return f"{self.clerk_id} {self.day}"

class RollupCursor(models.Model):
    """How far the rollups have read one source: the last event id seen (ids only grow, so an
    event written late with an old time is still seen and re-opens its day)."""

    source = models.CharField(_("来源"), max_length=10, choices=RollupSource.choices, unique=True)
    last_id = models.BigIntegerField(_("已读至事件"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("汇总进度")
        verbose_name_plural = _("汇总进度")
        constraints = [models.CheckConstraint(condition=Q(source__in=RollupSource.values),
                                              name="analytics_cursor_source_valid")]

    def __str__(self) -> str:
        return f"{self.source} {self.last_id}"


class RollupRun(models.Model):
    """One rebuild or update: when, how many events read and partitions (center-days) rewritten."""

    kind = models.CharField(_("类型"), max_length=10, choices=RollupRunKind.choices)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    events = models.BigIntegerField(_("读取事件数"), default=0)
    partitions = models.PositiveIntegerField(_("重算分区数"), default=0)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("汇总运行")
        verbose_name_plural = _("汇总运行")
        ordering = ["-started_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=RollupRunKind.values),
                                              name="analytics_run_kind_valid")]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"
