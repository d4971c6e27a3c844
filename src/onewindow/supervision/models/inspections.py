"""Inspections of drawn entities and their results (issue #12 parts 5–6).

One :class:`Inspection` per entity a plan drew: one visit, with the officers drawn for it (for a
联合检查 the group, 联合检查组, holds officers of every department). Its checklist is the plan's
items — for a joint plan one combined checklist (一张表) that merges the items of every department;
each department records the results of its own items (:class:`InspectionResult`), and the entity
sees one inspection. Results feed the entity's profile (market's pooled inspection records) and
may be objected to (:class:`ResultObjection`, 异议) within a deadline. Results are published within
20 working days of the inspection's end (DOMAIN.md R4.5).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import InspectionStatus, ObjectionStatus, ResultOutcome
from .draws import DrawPlan
from .item_lists import CheckItem
from .officers import Officer


class Inspection(models.Model):
    """检查: one drawn entity of one plan, its group number, officers, status and visit date."""

    plan = models.ForeignKey(DrawPlan, verbose_name=_("抽查任务"), on_delete=models.PROTECT, related_name="inspections")
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("检查对象"), on_delete=models.PROTECT, related_name="inspections"
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    entity_name = models.CharField(_("主体名称"), max_length=200)
    sequence = models.PositiveIntegerField(_("抽取顺序"))
    group_number = models.PositiveIntegerField(_("检查组编号"))
    officers = models.ManyToManyField(Officer, verbose_name=_("执法人员"), related_name="inspections")
    status = models.CharField(
        _("状态"), max_length=12, choices=InspectionStatus.choices, default=InspectionStatus.SCHEDULED
    )
    visited_on = models.DateField(_("检查日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["plan_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "organization"], name="supervision_inspection_once"),
            models.UniqueConstraint(fields=["plan", "sequence"], name="supervision_inspection_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.number} #{self.sequence} {self.entity_name}"


class InspectionResult(models.Model):
    """The result of one item of the checklist for one inspected entity, recorded by an officer of
    the item's department who was drawn for that entity."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="results")
    check_item = models.ForeignKey(CheckItem, verbose_name=_("抽查事项"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "core.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("检查结果"), max_length=16, choices=ResultOutcome.choices)
    note = models.TextField(_("检查情况"), blank=True)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    reinspected_on = models.DateField(_("复查日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        Officer, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="recorded_results"
    )
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["inspection_id", "department_id", "check_item_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "check_item"], name="supervision_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.check_item_id} {self.outcome}"


class ResultObjection(models.Model):
    """异议: the entity disputes a result; the result's department answers by ``due_on``."""

    result = models.ForeignKey(
        InspectionResult, verbose_name=_("检查结果"), on_delete=models.PROTECT, related_name="objections"
    )
    reason = models.TextField(_("异议理由"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    due_on = models.DateField(_("答复期限"))
    status = models.CharField(_("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查结果异议")
        verbose_name_plural = _("检查结果异议")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.result_id} {self.status}"
