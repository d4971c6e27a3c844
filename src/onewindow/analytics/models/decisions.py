"""Item decisions (事项准入: 建议调整或取消, issue #14 part 4).

Rule (seed, 临汾路: 办事结果全运用 — items with a yearly or long-run volume of 0 or a single digit get
a proposal to change or withdraw them): the center manager proposes keep / change / withdraw for
an item the rollups found at low volume over a window; the department that owns the item decides.
An accepted withdrawal becomes a new catalog item version with status withdrawn
(``catalog.services.item_withdraw``), referenced here as ``catalog_version``. Every step is an
:class:`ItemProposalEvent` and an audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import ProposalAction, ProposalEventAction, ProposalStatus


class ItemProposal(models.Model):
    """事项调整建议: one proposal for one item of a center, with the evidence it was made on (the
    window, the volume in it, the last case) frozen at proposal time."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.PROTECT,
                               related_name="+")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="+")
    department = models.ForeignKey("core.Department", verbose_name=_("事项所属部门"), on_delete=models.PROTECT,
                                   related_name="+")
    window_start = models.DateField(_("统计起始日"))
    window_end = models.DateField(_("统计截止日"))
    volume = models.PositiveIntegerField(_("期间办件量"))
    last_case_at = models.DateTimeField(_("最近办件时间"), null=True, blank=True)
    action = models.CharField(_("建议"), max_length=10, choices=ProposalAction.choices)
    reason = models.TextField(_("建议理由"))
    status = models.CharField(_("状态"), max_length=10, choices=ProposalStatus.choices,
                              default=ProposalStatus.PROPOSED)
    decision_note = models.TextField(_("部门意见"), blank=True)
    catalog_version = models.ForeignKey("catalog.ItemVersion", verbose_name=_("由此产生的事项版本"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("建议人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("建议时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("决定人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事项调整建议")
        verbose_name_plural = _("事项调整建议")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=ProposalAction.values),
                                   name="analytics_proposal_action_valid"),
            models.CheckConstraint(condition=Q(status__in=ProposalStatus.values),
                                   name="analytics_proposal_status_valid"),
            models.CheckConstraint(condition=Q(window_end__gte=models.F("window_start")),
                                   name="analytics_proposal_window_ordered"),
            models.UniqueConstraint(fields=["center", "item"], condition=Q(status="proposed"),
                                    name="analytics_proposal_one_open_per_item"),
        ]
        indexes = [models.Index(fields=["department", "status"], name="analytics_proposal_dept")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} {self.status}"


class ItemProposalEvent(models.Model):
    """One step of a proposal (propose, accept, reject, cancel), append-only."""

    proposal = models.ForeignKey(ItemProposal, verbose_name=_("建议"), on_delete=models.CASCADE,
                                 related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=ProposalEventAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=ProposalStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("事项调整建议记录")
        verbose_name_plural = _("事项调整建议记录")
        ordering = ["proposal_id", "at", "id"]
        constraints = [models.CheckConstraint(condition=Q(action__in=ProposalEventAction.values),
                                              name="analytics_proposal_event_action_valid")]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.action}"
