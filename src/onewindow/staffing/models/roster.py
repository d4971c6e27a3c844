"""Rosters (排班): a week's shifts of a center's clerks and the windows and categories each shift
serves, and the proposals they are made from.

Until this app, a duty was one clerk per window per day (``centers.WindowDuty``). A ``Shift`` is a
clerk's working time on a date (start, end, one break); an ``Assignment`` puts the shift's clerk at
a window for a time range with the categories the window serves then ("window 7 serves B until
11:30"). Publishing a roster writes the clerk's first window of the day as the ``WindowDuty`` the
window terminals use, and sets each appointment slot's capacity from the windows planned.
Times are local wall-clock times of ``date`` (the centers' hours are, too).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..choices import RosterSource, RosterStatus


class Proposal(models.Model):
    """排班建议 for one center and week: the need of every slot with its reasons (``needs``: per
    date and slot the arrivals per category, service times, the target and the windows they give),
    the policy it was made under (``policy``), and the simulated comparison of the current plan,
    the peak rule and the proposal (``comparison``). ``roster`` is the draft roster made from it."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("周起始日"))
    model = models.ForeignKey("staffing.DemandModel", verbose_name=_("需求模型"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    policy = models.JSONField(_("调配规则"), default=dict)
    needs = models.JSONField(_("时段需求"), default=dict)
    comparison = models.JSONField(_("仿真比较"), default=dict)
    overrides = models.JSONField(_("人工调整"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("排班建议")
        verbose_name_plural = _("排班建议")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["center", "week_start"], name="staffing_proposal_week")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.week_start}"


class Roster(models.Model):
    """A week's roster of a center: a draft (from a proposal or by hand), published, or withdrawn.
    At most one published roster per center and week."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("周起始日"))
    status = models.CharField(_("状态"), max_length=10, choices=RosterStatus.choices, default=RosterStatus.DRAFT)
    source = models.CharField(_("来源"), max_length=10, choices=RosterSource.choices, default=RosterSource.MANUAL)
    proposal = models.ForeignKey(Proposal, verbose_name=_("排班建议"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="rosters")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编排人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("编排时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("排班表")
        verbose_name_plural = _("排班表")
        ordering = ["-week_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RosterStatus.values), name="staffing_roster_status_valid"),
            models.CheckConstraint(condition=Q(source__in=RosterSource.values), name="staffing_roster_source_valid"),
            models.UniqueConstraint(fields=["center", "week_start"], condition=Q(status="published"),
                                    name="staffing_roster_one_published"),
        ]

    def __str__(self) -> str:
        return f"{self.center_id} {self.week_start} {self.status}"


class Shift(models.Model):
    """班次: a clerk's working time on a date, with at most one break. The duty rules (length,
    break, part-time hours, leave, one shift per clerk and day in a roster) are checked by
    ``services.roster`` before a row is written."""

    roster = models.ForeignKey(Roster, verbose_name=_("排班表"), on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.PROTECT,
                             related_name="staffing_shifts")
    date = models.DateField(_("日期"))
    starts = models.TimeField(_("上班"))
    ends = models.TimeField(_("下班"))
    break_starts = models.TimeField(_("休息开始"), null=True, blank=True)
    break_ends = models.TimeField(_("休息结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["date", "starts", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["roster", "user", "date"], name="staffing_shift_one_per_day"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="staffing_shift_ordered"),
            models.CheckConstraint(
                condition=Q(break_starts__isnull=True, break_ends__isnull=True)
                | Q(break_starts__gt=F("starts"), break_ends__gt=F("break_starts"), break_ends__lt=F("ends")),
                name="staffing_shift_break_inside"),
        ]
        indexes = [models.Index(fields=["user", "date"], name="staffing_shift_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Assignment(models.Model):
    """窗口分派: a shift's clerk at ``window`` from ``starts`` to ``ends``, serving ``categories``."""

    shift = models.ForeignKey(Shift, verbose_name=_("班次"), on_delete=models.CASCADE, related_name="assignments")
    window = models.ForeignKey("centers.Window", verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="+")
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    categories = models.ManyToManyField("centers.TicketCategory", verbose_name=_("受理类别"), related_name="+")

    class Meta:
        verbose_name = _("窗口分派")
        verbose_name_plural = _("窗口分派")
        ordering = ["shift_id", "starts"]
        constraints = [models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="staffing_assignment_ordered")]

    def __str__(self) -> str:
        return f"{self.window_id} {self.starts:%H:%M}-{self.ends:%H:%M}"
