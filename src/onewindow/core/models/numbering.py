"""Counters behind the gap-free numbers that people read (case, ticket and archive numbers)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberCounter(models.Model):
    """The last number handed out in one scope (编号计数器), e.g. ``cases:310106:2026``.

    Rule (ARCHITECTURE rule 5): numbers that people read are unique and gap-free, so they come
    from one counter row per scope, incremented under a row lock in the same transaction as the
    insert that uses the number; a rolled-back transaction gives its number back. Never MAX()+1,
    never a database sequence (sequences leave gaps). Actor: the services of every app, through
    ``onewindow.core.numbering.next_number``.
    """

    scope = models.CharField(_("编号范围"), max_length=200, unique=True)
    value = models.PositiveBigIntegerField(_("当前值"), default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")
        ordering = ["scope"]

    def __str__(self) -> str:
        return f"{self.scope}={self.value}"
