"""Schemas of the catalog API (/api/v1/catalog/)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class FacetOut(Schema):
    value: str
    label: str
    count: int


class NamedRef(Schema):
    code: str
    name: str


class ItemSummaryOut(Schema):
    code: str
    name: str
    level: str
    category: str
    type: NamedRef
    department: NamedRef
    region: NamedRef
    depth_level: int
    fully_online: bool
    status: str
    url: str


class ItemListOut(Schema):
    total: int
    page: int
    pages: int
    page_size: int
    items: list[ItemSummaryOut]
    facets: dict[str, list[FacetOut]]


class MaterialOut(Schema):
    name: str
    form: str
    copies: int
    required: bool
    note: str


class TimeLimitOut(Schema):
    days: int | None
    unit: str
    note: str


class VersionOut(Schema):
    number: int
    name: str
    category: str
    type: NamedRef
    legal_basis: str
    handling_type: str
    statutory_limit: TimeLimitOut
    promised_limit: TimeLimitOut
    fee_free: bool
    fee_text: str
    fee_amount: Decimal | None
    depth_level: int
    depth_codes: list[str]
    fully_online: bool
    channels: list[str]
    on_site_visits: int
    on_site_reason: str
    form_schema: dict[str, Any]
    status: str
    status_reason: str
    status_date: datetime.date | None
    valid_from: datetime.date
    change_note: str
    materials: list[MaterialOut]


class VersionSummaryOut(Schema):
    number: int
    name: str
    status: str
    valid_from: datetime.date
    change_note: str
    created_at: datetime.datetime


class ItemDetailOut(Schema):
    code: str
    basic_code: str
    name: str
    level: str
    department: NamedRef
    region: NamedRef
    status: str
    current_version: VersionOut
    guide_url: str
    pdf_url: str


class ItemTypeOut(Schema):
    code: str
    name: str
    is_power: bool
    is_confirmed: bool


class StatsOut(Schema):
    city_approval: int
    district_approval: int
    city_service: int
    district_service: int
    street_service: int
    city_approval_fully_online: int
    district_approval_fully_online: int
    total: int


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]
