"""The state of each periodic job, so that two scheduler processes never fire a job twice."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """A periodic job (定时任务) and when it last ran and next runs.

    Rule: the django.tasks API has no scheduler, so ``onewindow core_scheduler`` enqueues the
    registered periodic tasks; it claims a due job by locking its row (``select_for_update``; on
    SQLite the IMMEDIATE transaction serialises), so copies of the scheduler running at once
    enqueue each due run exactly once. Actor: the scheduler process (a system actor).
    """

    name = models.CharField(_("任务名称"), max_length=100, unique=True)
    every_seconds = models.PositiveIntegerField(_("间隔（秒）"))
    last_run = models.DateTimeField(_("上次运行"), null=True, blank=True)
    next_run = models.DateTimeField(_("下次运行"))
    last_result_id = models.CharField(_("上次任务结果编号"), max_length=64, blank=True)
    run_count = models.PositiveBigIntegerField(_("运行次数"), default=0)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
