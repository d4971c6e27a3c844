"""Background tasks of staffing (django.tasks); the scheduler enqueues the periodic ones
(``schedules.py``): live advice every 5 minutes for the centers open now, the demand models nightly
(issue #15 parts 1 and 5)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from onewindow.centers.hours import accepts_tickets
from onewindow.centers.models import Center


def centers_open_now() -> list[int]:
    """Ids of the active centers taking tickets now (their opening hours on the core calendar)."""
    now = timezone.localtime()
    return [c.pk for c in Center.objects.filter(is_active=True).order_by("pk") if accepts_tickets(c, now)]


@task()
def staffing_advice_refresh() -> dict[str, Any]:
    """弹性调配: refresh the advice of the current and next slot of every center open now; a center
    whose need cannot be computed (no history, impossible target) is skipped and counted."""
    from onewindow.core.errors import DomainError

    from .services.advice import advice_refresh

    done, skipped, advice = 0, 0, 0
    for center_id in centers_open_now():
        try:
            advice += len(advice_refresh(center_id))
            done += 1
        except DomainError:
            skipped += 1
    return {"centers": done, "skipped": skipped, "advice": advice}


@task()
def staffing_demand_models_build() -> dict[str, Any]:
    """Refit every center's demand model (nightly)."""
    from .services.demand import demand_models_build_all

    return {"built": demand_models_build_all()}
