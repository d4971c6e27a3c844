"""Clocks are rows (ARCHITECTURE data-model decision 3): each limit of a case with its unit and
legal basis, each suspension with its basis, start and end, each extension with its approver."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import ClockKind, ClockLevel, SuspensionBasis
from .case import Case


class CaseClock(models.Model):
    """时限: one statutory or promised time limit of a case (行政许可法 arts. 32, 42, 44, 82).

    ``due_date`` is the internal target (内部办理期限): recomputed by the services whenever the
    clock is extended or a suspension ends (days not counted under art. 45 push it back), and when
    the working-day calendar changes over its span (issue #10: a holiday entered later moves it
    back, an adjusted workday 调休 forward). ``promised_due_date`` is the date told to the
    applicant (告知到期日: the receipt, the extension or resumption notice); it never moves earlier
    — an added workday shortens only the internal target — and when a recomputation moves it later
    the applicant is told by SMS. ``level`` is raised by the periodic deadline check (yellow at
    80 % of the limit, red when overdue). A clock stops on the day its step is done; at most one
    clock of each kind runs per case.
    """

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(_("时限类别"), max_length=12, choices=ClockKind.choices)
    basis = models.CharField(_("依据"), max_length=200)
    limit_days = models.PositiveIntegerField(_("时限（天）"))
    unit = models.CharField(_("单位"), max_length=10, choices=[("working", _("工作日")), ("natural", _("自然日"))],
                            default="working")
    start_date = models.DateField(_("起算日"))
    extended_days = models.PositiveIntegerField(_("延长天数"), default=0)
    suspended_days = models.PositiveIntegerField(_("扣除天数"), default=0,
                                                 help_text=_("已结束的特别程序所占天数（不计入时限）"))
    due_date = models.DateField(_("到期日"))
    promised_due_date = models.DateField(_("告知到期日"), null=True, blank=True,
                                         help_text=_("已告知申请人的到期日，只会推后，不会提前"))
    level = models.CharField(_("预警"), max_length=10, choices=ClockLevel.choices, default=ClockLevel.GREEN)
    stopped_on = models.DateField(_("完成日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["case_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ClockKind.values), name="cases_clock_kind_valid"),
            models.CheckConstraint(condition=Q(level__in=ClockLevel.values), name="cases_clock_level_valid"),
            models.CheckConstraint(condition=Q(unit__in=["working", "natural"]), name="cases_clock_unit_valid"),
            models.UniqueConstraint(fields=["case", "kind"], condition=Q(stopped_on__isnull=True),
                                    name="cases_clock_one_running_per_kind"),
        ]
        indexes = [models.Index(fields=["stopped_on", "due_date"], name="cases_clock_running")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.limit_days} → {self.due_date}"


class ClockSuspension(models.Model):
    """不计入期限的时间 (行政许可法 art. 45: 听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审),
    told to the applicant in writing. Open while ``end_date`` is empty."""

    clock = models.ForeignKey(CaseClock, verbose_name=_("时限"), on_delete=models.CASCADE,
                              related_name="suspensions")
    basis = models.CharField(_("法定情形"), max_length=20, choices=SuspensionBasis.choices)
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    start_date = models.DateField(_("开始日"))
    end_date = models.DateField(_("结束日"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                   related_name="+")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("结束登记人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("期限中止")
        verbose_name_plural = _("期限中止")
        ordering = ["clock_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(basis__in=SuspensionBasis.values),
                                   name="cases_suspension_basis_valid"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="cases_suspension_ordered"),
            models.UniqueConstraint(fields=["clock"], condition=Q(end_date__isnull=True),
                                    name="cases_suspension_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} {self.start_date}–{self.end_date or ''}"


class ClockExtension(models.Model):
    """延长期限 (行政许可法 art. 42 ¶1: +10 days with the approval of the agency head; the reason is
    told to the applicant). ``approved_by`` is the department admin who approved it."""

    clock = models.ForeignKey(CaseClock, verbose_name=_("时限"), on_delete=models.CASCADE,
                              related_name="extensions")
    days = models.PositiveIntegerField(_("延长天数"))
    reason = models.CharField(_("理由"), max_length=500)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("批准人"), on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("批准时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("期限延长")
        verbose_name_plural = _("期限延长")
        ordering = ["clock_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="cases_extension_positive")]

    def __str__(self) -> str:
        return f"+{self.days}"
