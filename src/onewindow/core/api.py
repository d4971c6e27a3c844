"""The core part of the JSON API (/api/v1/core/): public reference data."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from . import selectors
from .models import RegionLevel

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


@router.get("/regions", response=list[RegionOut], auth=None, summary="行政区划 administrative regions")
def list_regions(request: HttpRequest, level: RegionLevel | None = None, parent: str | None = None,
                 valid_on: datetime.date | None = None) -> object:
    """Shanghai, its districts and their streets/towns; filter by level, parent code or validity date."""
    return selectors.region_list(level=level, parent_code=parent, valid_on=valid_on)


@router.get("/departments", response=list[DepartmentOut], auth=None, summary="部门 departments")
def list_departments(request: HttpRequest, level: RegionLevel | None = None,
                     region: str | None = None) -> object:
    """Active government departments; filter by level and region code."""
    return selectors.department_list(level=level, region_code=region)
