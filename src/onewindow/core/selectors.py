"""Reads of core reference data: regions and departments are public (no personal data)."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from .models import Department, Region


def region_list(*, level: str | None = None, parent_code: str | None = None,
                valid_on: datetime.date | None = None) -> QuerySet[Region]:
    """Administrative regions (行政区划), optionally one level, children of one region, valid on a day.

    Public reference data, the same for every user (anonymous included).
    """
    queryset = Region.objects.select_related("parent")
    if level:
        queryset = queryset.filter(level=level)
    if parent_code:
        queryset = queryset.filter(parent__code=parent_code)
    if valid_on is not None:
        queryset = queryset.filter(valid_from__lte=valid_on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=valid_on))
    return queryset.order_by("sort_order", "code")


def department_list(*, level: str | None = None, region_code: str | None = None,
                    active_only: bool = True) -> QuerySet[Department]:
    """Government departments (部门), optionally of one level and/or region.

    Public reference data: the owners of catalog items are published (政务公开).
    """
    queryset = Department.objects.select_related("region")
    if active_only:
        queryset = queryset.filter(is_active=True)
    if level:
        queryset = queryset.filter(level=level)
    if region_code:
        queryset = queryset.filter(region__code=region_code)
    return queryset.order_by("sort_order", "code")
