"""The core part of the JSON API (/api/v1/core/): public reference data."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from . import selectors
from .models import RegionLevel
from .normalize import NfkcInt
from .pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated
from .schemas import PageOut

router = Router(tags=["core"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None = Field(None, alias="parent.code")
    valid_from: datetime.date
    valid_to: datetime.date | None


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    level: str
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")


class RegionPageOut(PageOut):
    items: list[RegionOut]


class DepartmentPageOut(PageOut):
    items: list[DepartmentOut]


@router.get("/regions", response=RegionPageOut, auth=None, summary="行政区划 administrative regions")
def list_regions(request: HttpRequest, level: RegionLevel | None = None, parent: str | None = None,
                 valid_on: datetime.date | None = None,
                 page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
                 page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> object:  # noqa: B008
    """Shanghai, its districts and their streets/towns; filter by level, parent code or validity date."""
    return paginated(selectors.region_list(level=level, parent_code=parent, valid_on=valid_on), page, page_size)


@router.get("/departments", response=DepartmentPageOut, auth=None, summary="部门 departments")
def list_departments(request: HttpRequest, level: RegionLevel | None = None, region: str | None = None,
                     page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
                     page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> object:  # noqa: B008
    """Active government departments; filter by level and region code."""
    return paginated(selectors.department_list(level=level, region_code=region), page, page_size)
