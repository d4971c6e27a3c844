"""The fitted demand model of a center (issue #15 part 1), kept so that proposals, live advice and
the pages read one model rather than refitting on every request."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemandModel(models.Model):
    """One fit: ``params`` is the JSON form of ``forecast.DemandParams`` (rates per category, day
    type and slot; trend; month seasonality; service-time distributions); ``error`` the held-out
    errors (WAPE and MASE per category and overall, the weeks held out)."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    built_at = models.DateTimeField(_("建模时间"))
    history_from = models.DateField(_("历史起"))
    history_to = models.DateField(_("历史止"))
    params = models.JSONField(_("模型参数"), default=dict)
    error = models.JSONField(_("预测误差"), default=dict)

    class Meta:
        verbose_name = _("需求模型")
        verbose_name_plural = _("需求模型")
        ordering = ["-built_at", "-id"]
        get_latest_by = "built_at"
        indexes = [models.Index(fields=["center", "-built_at"], name="staffing_model_center")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.built_at:%Y-%m-%d %H:%M}"
