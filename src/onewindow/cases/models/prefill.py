"""Pre-fill of an online application from shared registers (申请表预填, once-only / 减材料).

Rule (issue #13 part 5; 《上海市政务数据资源共享管理办法》; 个人信息保护法 art. 44–46): when a citizen or
an enterprise applies online, the implementing department fetches what its sharing grants (purpose
``prefill``) allow from the registers the item version names, and the form fills itself. Each
pre-filled field keeps its source (resource, exchange, as-of) and the value the register gave
beside the applicant's correction, which never overwrites it. The applicant may decline pre-fill:
then nothing is fetched, and what was fetched is cleared. The exchange itself is recorded in the
signed exchange log (sharing); these rows are the case's side of it. Written only by
``cases.services.prefill``.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from ..choices import PrefillOutcome
from .case import Case


class CasePrefill(models.Model):
    """申请表预填 of one case: whether the applicant declined it (拒绝预填, PIPL art. 44–46) and when
    the registers were last asked. Declined: nothing is fetched until the applicant asks again."""

    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="prefill")
    declined = models.BooleanField(_("申请人拒绝预填"), default=False)
    declined_at = models.DateTimeField(_("拒绝时间"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("预填时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("申请表预填")
        verbose_name_plural = _("申请表预填")
        constraints = [
            models.CheckConstraint(condition=Q(declined=False) | Q(declined_at__isnull=False),
                                   name="cases_prefill_declined_dated"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}"


class PrefillSource(models.Model):
    """One shared resource (数据资源) asked for a case's pre-fill and what came of it: the outcome,
    the error code of a refused or failed exchange, the exchange id (交换编号, the key of both sides'
    log entries) and the as-of time of the provider's data. ``skipped``: form fields mapped to this
    resource that it could not fill (not granted, empty, or not valid for the form)."""

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="prefill_sources")
    resource_code = models.CharField(_("资源编码"), max_length=40)
    resource_name = models.CharField(_("资源名称"), max_length=200, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=PrefillOutcome.choices)
    error_code = models.CharField(_("错误代码"), max_length=60, blank=True)
    exchange_id = models.UUIDField(_("交换编号"), null=True, blank=True)
    as_of = models.DateTimeField(_("数据截至"), null=True, blank=True)
    skipped = models.JSONField(_("未能预填的字段"), default=list, blank=True)
    fetched_at = models.DateTimeField(_("查询时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预填数据来源")
        verbose_name_plural = _("预填数据来源")
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "resource_code"], name="cases_prefill_source_once"),
            models.CheckConstraint(condition=Q(outcome__in=PrefillOutcome.values),
                                   name="cases_prefill_source_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.resource_code} {self.outcome}"


class PrefilledField(models.Model):
    """预填字段: one form field filled from a shared register, with its source.

    The register's value is kept as given (``source_*``), the applicant's correction beside it
    (``correction_*``, ``corrected``); the form (``Case.form_data``) holds the value in force. A
    personal value (the form marks the field personal, or the resource does) is stored like the
    form's personal fields: encrypted (``*_personal``, JSON) with only its mask in ``*_value``;
    any other value in clear in ``*_value``. ``declined``: the applicant declined pre-fill and the
    fetched value was cleared (the row stays as the record that it was fetched, without the value).
    """

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="prefilled_fields")
    field_name = models.CharField(_("申请表字段"), max_length=100)
    resource_code = models.CharField(_("资源编码"), max_length=40)
    resource_name = models.CharField(_("资源名称"), max_length=200, blank=True)
    source_field = models.CharField(_("来源数据项"), max_length=100)
    personal = models.BooleanField(_("个人信息"), default=False)
    personal_kind = models.CharField(_("个人信息类别"), max_length=12, blank=True)
    source_value = models.JSONField(_("来源值"), null=True, blank=True,
                                    help_text=_("个人信息在此仅存脱敏值，原值加密存储"))
    source_personal = EncryptedTextField(_("来源值（个人信息，加密）"), blank=True)
    as_of = models.DateTimeField(_("数据截至"), null=True, blank=True)
    exchange_id = models.UUIDField(_("交换编号"), null=True, blank=True)
    corrected = models.BooleanField(_("申请人已更正"), default=False)
    correction_value = models.JSONField(_("更正值"), null=True, blank=True)
    correction_personal = EncryptedTextField(_("更正值（个人信息，加密）"), blank=True)
    declined = models.BooleanField(_("已拒绝预填"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预填字段")
        verbose_name_plural = _("预填字段")
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "field_name"], name="cases_prefilled_field_once"),
            models.CheckConstraint(condition=Q(personal=True) | (Q(source_personal="") & Q(correction_personal="")),
                                   name="cases_prefilled_clear_not_personal"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.field_name}"

    def source(self) -> Any:
        """The register's value in clear (None once declined)."""
        if self.personal:
            return json.loads(self.source_personal) if self.source_personal else None
        return self.source_value

    def correction(self) -> Any:
        """The applicant's value in clear where it differs from the source (None: not corrected, or
        corrected by clearing the field)."""
        if self.personal:
            return json.loads(self.correction_personal) if self.correction_personal else None
        return self.correction_value
