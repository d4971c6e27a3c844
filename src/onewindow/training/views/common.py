"""What the training pages share: the error page, the center a manager is looking at."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from onewindow.centers.models import Center
from onewindow.core.errors import DomainError

from .. import permissions


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "training/error.html", {"error": exc}, status=exc.status)


def managed(request: HttpRequest) -> list[Center]:
    return list(Center.objects.filter(pk__in=permissions.managed_centers(request.user)).order_by("code"))


def chosen_center(request: HttpRequest, centers: list[Center]) -> Center | None:
    """The center of ``?center=`` among those the viewer manages (None for another), else the
    first (None if none)."""
    raw = str(request.GET.get("center", ""))
    if raw:
        return next((center for center in centers if str(center.pk) == raw), None)
    return centers[0] if centers else None


def day_param(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
