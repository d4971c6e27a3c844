"""Periodic jobs (定时任务): a registry and one scheduler tick that cannot double-fire.

The django.tasks API has no scheduler. Apps register periodic tasks here (in their
``schedules.py``, imported by :func:`discover`, or in ``AppConfig.ready``); the
``onewindow core_scheduler`` process calls :func:`tick` every second or so. A due job is claimed
by locking its :class:`~onewindow.core.models.ScheduledJob` row and moving ``next_run`` on in
the same transaction as the enqueue, so two schedulers running at once enqueue each run once.
"""

from __future__ import annotations

import datetime
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from .locks import lock_or_create
from .models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: datetime.timedelta
    enqueue: Callable[[], Any]


_registry: dict[str, Periodic] = {}


def register(name: str, *, every: datetime.timedelta, task: Any) -> None:
    """Run the django.tasks ``task`` (no arguments) every ``every``; re-registering replaces."""
    if every.total_seconds() < 1:
        raise ValueError("a periodic job runs at most once a second")
    _registry[name] = Periodic(name=name, every=every, enqueue=task.enqueue)


def periodic(name: str, *, every: datetime.timedelta) -> Callable[[Any], Any]:
    """Decorator form of :func:`register`, applied on top of ``@task()``."""

    def decorate(task: Any) -> Any:
        register(name, every=every, task=task)
        return task

    return decorate


def registered() -> dict[str, Periodic]:
    return dict(_registry)


def unregister(name: str) -> None:
    _registry.pop(name, None)


def discover() -> None:
    """Import ``<app>.schedules`` of every installed app, so their jobs register."""
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise


def _run_if_due(job: Periodic, now: datetime.datetime) -> bool:
    with transaction.atomic():
        row = lock_or_create(ScheduledJob, name=job.name, defaults={
            "every_seconds": int(job.every.total_seconds()), "next_run": now})
        if row.next_run > now:
            return False
        result = job.enqueue()
        row.last_run = now
        row.next_run = now + job.every
        row.every_seconds = int(job.every.total_seconds())
        row.last_result_id = str(getattr(result, "id", ""))[:64]
        row.run_count += 1
        row.save()
    return True


def tick(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every registered job that is due; return the names enqueued by this call.

    A job whose task fails to enqueue is logged and retried at the next tick.
    """
    now = now or timezone.now()
    fired = []
    for job in list(_registry.values()):
        try:
            if _run_if_due(job, now):
                fired.append(job.name)
        except Exception:
            logger.exception("periodic job %s could not be enqueued", job.name)
    return fired
