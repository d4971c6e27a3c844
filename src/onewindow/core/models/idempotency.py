"""Idempotency keys (幂等键) of repeatable writes such as submitting an application."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A client-chosen key for one write, scoped per user and operation (e.g. ``cases.apply``).

    Rule: a repeated request with the same key (double click, network retry) returns the result
    of the first instead of writing again; the same key with a different body is refused. Keys
    are kept at least ``ONEWINDOW_IDEMPOTENCY_HOURS`` (default 48) hours. The row is inserted in
    the same transaction as the write it guards, so it exists exactly when the result does.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="+")
    operation = models.CharField(_("操作"), max_length=60)
    key = models.CharField(_("幂等键"), max_length=100)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    result_id = models.CharField(_("结果标识"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [models.UniqueConstraint(fields=["user", "operation", "key"], name="core_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.operation}:{self.key}"
