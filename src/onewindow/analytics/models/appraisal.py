"""绩效考核 (appraisal, issue #14 part 3): the configurable weights of a center's monthly appraisal.

A scheme is never edited: a change is a new row valid from a month, so a past month's report is
always computed with the scheme that was valid then (shown beside the figures).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppraisalScheme(models.Model):
    """The weights (``weights``: measure name → weight, e.g. ``{"served": 30, "effective_share": 25,
    …}``) and the rules text of a center's appraisal from the month ``valid_from`` (first day)."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE,
                               related_name="+")
    valid_from = models.DateField(_("适用起始月"))
    weights = models.JSONField(_("权重"), default=dict)
    rules = models.TextField(_("考核规则说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("设置人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["center_id", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["center", "valid_from"], name="analytics_scheme_unique_month")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.valid_from:%Y-%m}"
