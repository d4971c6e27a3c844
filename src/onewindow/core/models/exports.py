"""Export jobs (导出任务): a file too large to build while the page waits, built by a task and
downloaded by the one user who asked for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class ExportJob(models.Model):
    """An export job (导出任务) of any app: the requester, what to export, its progress and file.

    Rule: only the requesting user sees the job and downloads its file; the job is named in URLs
    by a random ``token`` only (never by its id), so a guessed or another user's token is "not
    found" (OWASP ASVS 5.0 V8 Authorization). The file lives under the private export root
    (``CORE_EXPORT_ROOT``, never served as a static path), named from the token, and is deleted
    when the job expires, 24 hours after it was asked for (个人信息保护法 art. 19: kept no longer
    than needed). Actor: the requesting user (creates), the app's task (advances, finishes or
    fails), the scheduler (``core.export_purge`` expires). Statuses: queued → running → done or
    failed; any → expired.
    """

    token = models.CharField(_("令牌"), max_length=64, unique=True)
    kind = models.CharField(_("导出类型"), max_length=60)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("申请人所在部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parameters = models.JSONField(_("导出条件"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_done = models.PositiveIntegerField(_("已生成行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    file_name = models.CharField(_("文件名"), max_length=100, blank=True)
    download_name = models.CharField(_("下载文件名"), max_length=150, blank=True)
    error_code = models.CharField(_("错误代码"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("创建时间"), db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="core_export_status_valid"),
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="core_export_rows_done"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.rows_total else min(100, self.rows_done * 100 // self.rows_total)
