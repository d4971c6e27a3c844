"""Live advice (弹性调配 during the day, issue #15 part 5): a suggestion for one slot of today, kept
so that the weekly report can set advice against what was done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import AdviceKind, AdviceStatus, FlagKind


class Advice(models.Model):
    """One suggestion, e.g. "open window 7 for category B until 11:30": ``flag`` of the slot it was
    made for, ``reason`` (arrivals, queue, need, windows open, the target), ``categories`` the
    category ids the window is to serve (assign/open), ``until`` the end of the advice.
    Applied through the centers services (``window_set_state``, ``window_set_categories``)."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("日期"))
    slot = models.PositiveSmallIntegerField(_("时段"))
    flag = models.CharField(_("判断"), max_length=10, choices=FlagKind.choices)
    kind = models.CharField(_("建议"), max_length=10, choices=AdviceKind.choices)
    window = models.ForeignKey("centers.Window", verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="+")
    categories = models.JSONField(_("受理类别"), default=list, blank=True)
    until = models.TimeField(_("截至"), null=True, blank=True)
    reason = models.JSONField(_("依据"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=AdviceStatus.choices, default=AdviceStatus.SUGGESTED)
    created_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调配建议")
        verbose_name_plural = _("调配建议")
        ordering = ["-date", "slot", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(flag__in=FlagKind.values), name="staffing_advice_flag_valid"),
            models.CheckConstraint(condition=Q(kind__in=AdviceKind.values), name="staffing_advice_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=AdviceStatus.values), name="staffing_advice_status_valid"),
            models.CheckConstraint(condition=Q(slot__lte=47), name="staffing_advice_slot_valid"),
            # One open suggestion per window and slot (a periodic refresh replaces, never duplicates).
            models.UniqueConstraint(fields=["center", "date", "slot", "window"], condition=Q(status="suggested"),
                                    name="staffing_advice_one_open"),
        ]
        indexes = [models.Index(fields=["center", "date"], name="staffing_advice_day")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.date} {self.slot} {self.kind}"
