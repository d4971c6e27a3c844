"""A center's service target and duty rules, and each clerk's terms and leave.

The target (服务目标) is what a slot is staffed for: a share of people called within a number of
minutes (``service_level``: ``target_share`` within ``target_minutes``), or a mean wait of at most
``target_minutes`` (``mean_wait``). Shrinkage (breaks, back-office work: 离岗、后台审核) is the share of
rostered time not available at a window. The duty rules bound every shift: its length, the break a
long shift must have, and a part-time clerk's hours (``ClerkTerms``). None of these figures is
published; each is a setting per center with defaults in ``settings.STAFFING_*``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..choices import LeaveKind, TargetKind


class StaffingPolicy(models.Model):
    """One center's target and duty rules (created with the defaults on first use)."""

    center = models.OneToOneField("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE,
                                  related_name="staffing_policy")
    target_kind = models.CharField(_("服务目标类型"), max_length=16, choices=TargetKind.choices,
                                   default=TargetKind.SERVICE_LEVEL)
    target_share = models.FloatField(_("限时叫号比例"), default=0.8)
    target_minutes = models.PositiveSmallIntegerField(_("目标等候分钟"), default=15)
    shrinkage = models.FloatField(_("折损率"), default=0.15,
                                  help_text=_("排班时间中不在窗口的比例（休息、后台工作）"))
    shift_min_minutes = models.PositiveSmallIntegerField(_("班次最短（分钟）"), default=180)
    shift_max_minutes = models.PositiveSmallIntegerField(_("班次最长（分钟）"), default=480)
    break_after_minutes = models.PositiveSmallIntegerField(_("连续工作上限（分钟）"), default=270,
                                                           help_text=_("长于此的班次须安排休息"))
    break_minutes = models.PositiveSmallIntegerField(_("休息时长（分钟）"), default=45)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("调配规则")
        verbose_name_plural = _("调配规则")
        constraints = [
            models.CheckConstraint(condition=Q(target_kind__in=TargetKind.values), name="staffing_policy_kind_valid"),
            models.CheckConstraint(condition=Q(target_share__gt=0, target_share__lt=1),
                                   name="staffing_policy_share_valid"),
            models.CheckConstraint(condition=Q(shrinkage__gte=0, shrinkage__lt=0.6),
                                   name="staffing_policy_shrinkage_valid"),
            models.CheckConstraint(condition=Q(shift_min_minutes__lte=F("shift_max_minutes")),
                                   name="staffing_policy_shift_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.center_id} {self.target_kind}"


class ClerkTerms(models.Model):
    """用工: a clerk's daily and weekly hours at a center; a part-time clerk has fewer."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.CASCADE,
                             related_name="staffing_terms")
    part_time = models.BooleanField(_("非全日制"), default=False)
    max_minutes_per_day = models.PositiveSmallIntegerField(_("每日最长（分钟）"), default=480)
    max_days_per_week = models.PositiveSmallIntegerField(_("每周最多天数"), default=5)

    class Meta:
        verbose_name = _("用工条件")
        verbose_name_plural = _("用工条件")
        constraints = [
            models.UniqueConstraint(fields=["center", "user"], name="staffing_terms_unique"),
            models.CheckConstraint(condition=Q(max_days_per_week__gte=1, max_days_per_week__lte=7),
                                   name="staffing_terms_days_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {'part' if self.part_time else 'full'}"


class Leave(models.Model):
    """请假: a clerk away from ``starts`` to ``ends`` (dates, inclusive)."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.CASCADE,
                             related_name="staffing_leaves")
    starts = models.DateField(_("开始日期"))
    ends = models.DateField(_("结束日期"))
    kind = models.CharField(_("类别"), max_length=10, choices=LeaveKind.choices, default=LeaveKind.ANNUAL)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["-starts", "user_id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gte=F("starts")), name="staffing_leave_ordered"),
            models.CheckConstraint(condition=Q(kind__in=LeaveKind.values), name="staffing_leave_kind_valid"),
        ]
        indexes = [models.Index(fields=["center", "starts"], name="staffing_leave_center")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.starts}–{self.ends}"
