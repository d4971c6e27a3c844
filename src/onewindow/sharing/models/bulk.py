"""Bulk exchange (批量交换): signed CSV/xlsx drops for departments that cannot call an API.

Rule: a drop names its resource and declares the file's SHA-256; a wrong checksum, a bad
signature or columns that do not match the resource's published schema refuse the whole file;
otherwise each row is validated against the field types and loaded, rows that fail are reported
with their line and reason, and loading the same rows again changes nothing (idempotent by the
resource's key field). Loaded rows are what the ``sharing.dataset`` provider answers from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField, KeyedHashField

from ..choices import DropStatus


class BulkDrop(models.Model):
    """One received drop: the file's name, declared and actual SHA-256, signature and key, the
    catalogue version it was validated against, the counts and the per-row errors
    (``[{"line", "code", "message"}]``)."""

    resource = models.ForeignKey("sharing.DataResource", verbose_name=_("数据资源"), on_delete=models.PROTECT,
                                 related_name="drops")
    version = models.ForeignKey("sharing.ResourceVersion", verbose_name=_("校验所用目录版本"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    declared_sha256 = models.CharField(_("声明校验值"), max_length=64)
    actual_sha256 = models.CharField(_("实际校验值"), max_length=64)
    kid = models.CharField(_("签名密钥"), max_length=60, blank=True)
    signature = models.CharField(_("签名"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=DropStatus.choices, default=DropStatus.RECEIVED)
    refusal_code = models.CharField(_("拒收代码"), max_length=60, blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_created = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("更新"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("未变"), default=0)
    rows_failed = models.PositiveIntegerField(_("失败"), default=0)
    errors = models.JSONField(_("错误明细"), default=list)
    created_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量交换文件")
        verbose_name_plural = _("批量交换文件")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DropStatus.values), name="sharing_drop_status_valid"),
            models.CheckConstraint(condition=~Q(status=DropStatus.REFUSED) | ~Q(refusal_code=""),
                                   name="sharing_drop_refusal_has_code"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.file_name}"


class DatasetRow(models.Model):
    """One row of a dataset resource, loaded from bulk drops: looked up by the keyed hash of its
    key field's value (the key may be an ID number); the row itself is stored encrypted (it may
    hold personal fields). ``digest`` (SHA-256 of the canonical row) makes a reload of the same
    row a no-op."""

    resource = models.ForeignKey("sharing.DataResource", verbose_name=_("数据资源"), on_delete=models.CASCADE,
                                 related_name="rows")
    row_key = EncryptedTextField(_("键值"))
    row_key_hash = KeyedHashField(_("键值检索值"), source="row_key", normalize="upper")
    data = EncryptedTextField(_("数据（加密 JSON）"))
    digest = models.CharField(_("摘要值"), max_length=64)
    drop = models.ForeignKey(BulkDrop, verbose_name=_("来源文件"), on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("数据集记录")
        verbose_name_plural = _("数据集记录")
        constraints = [
            models.UniqueConstraint(fields=["resource", "row_key_hash"], name="sharing_row_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} row {self.pk}"
