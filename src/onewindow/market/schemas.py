"""Request and response shapes of the registry API (/api/v1/market/). Personal fields of the
legal representative are masked in every shape except :class:`LegalRepOut` (the audited unmask)."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from onewindow.core.normalize import NfkcStr
from onewindow.core.schemas import ErrorOut, PageOut

from .choices import EntityStatus, EntityType
from .models import EntityImport, EntityProfile, EntityVersion, FormerName
from .selectors import EntityProfileView

__all__ = ["ErrorOut"]


class EntityIn(Schema):
    """A registration (设立登记). Choice fields take their key or their Chinese label; dates are
    ``YYYY-MM-DD``; the capital is in 万元. A 个体工商户 without a credit code gives its 注册号."""

    credit_code: NfkcStr = Field("", max_length=40, description="统一社会信用代码")
    registration_number: NfkcStr = Field("", max_length=20, description="注册号（15位）")
    name: str = Field(max_length=200, description="名称")
    entity_type: str = Field(max_length=40, description="主体类型，如 limited_company 或 有限责任公司")
    legal_representative_name: str = Field("", max_length=100, description="法定代表人（负责人）")
    legal_rep_id_number: NfkcStr = Field("", max_length=40, description="法定代表人证件号码")
    legal_rep_phone: NfkcStr = Field("", max_length=30, description="法定代表人联系电话")
    address: str = Field(max_length=300, description="住所")
    district_code: NfkcStr = Field(max_length=12, description="区代码，如 310106")
    street_code: NfkcStr = Field("", max_length=12, description="街镇代码，如 310106012")
    industry_code: NfkcStr = Field(max_length=5, description="国民经济行业代码（GB/T 4754-2017）")
    registered_capital: NfkcStr = Field("", max_length=30, description="注册资本（万元）")
    currency: NfkcStr = Field("CNY", max_length=3)
    established_on: NfkcStr = Field(max_length=20, description="成立日期")
    approved_on: NfkcStr = Field("", max_length=20, description="核准日期")
    status: str = Field("active", max_length=20, description="登记状态")
    status_on: NfkcStr = Field("", max_length=20)
    business_scope: str = Field("", max_length=4000, description="经营范围")


class EntityRowOut(Schema):
    credit_code: str
    name: str
    entity_type: str
    entity_type_label: str
    status: str
    status_label: str
    district: str
    street: str
    industry_code: str
    industry: str
    established_on: datetime.date
    risk_grade: str


class EntityPageOut(PageOut):
    items: list[EntityRowOut]
    capped: bool = Field(False, description="匹配结果超过上限，仅列出前若干条，请缩小查询范围")


class VersionOut(Schema):
    number: int
    kind: str
    kind_label: str
    at: datetime.datetime
    by: str
    before: dict[str, Any]
    after: dict[str, Any]


class FormerNameOut(Schema):
    name: str
    used_until: datetime.date


class EntityOut(EntityRowOut):
    has_credit_code: bool
    registration_number: str
    legal_representative_name: str
    legal_rep_id_number: str = Field(description="脱敏")
    legal_rep_phone: str = Field(description="脱敏")
    address: str
    district_code: str
    street_code: str
    registered_capital: str | None
    currency: str
    approved_on: datetime.date | None
    status_on: datetime.date | None
    business_scope: str
    risk_graded_on: datetime.date | None
    risk_source: str
    version: int
    versions: list[VersionOut] = []
    former_names: list[FormerNameOut] = []


class LegalRepOut(Schema):
    credit_code: str
    legal_representative_name: str
    legal_rep_id_number: str
    legal_rep_phone: str


class ImportErrorOut(Schema):
    line: int
    field: str
    code: str
    message: str


class ImportOut(Schema):
    id: int
    file_name: str
    status: str
    encoding: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    rows_failed: int
    message: str
    errors: list[ImportErrorOut]


#: The labels by value (lazy, translated when shown): ``get_FOO_display`` rebuilds the choices
#: mapping on every call, some 0.1 ms a field, which on a page of 20 rows was a fifth of a search.
ENTITY_TYPE_LABELS: dict[str, Any] = dict(EntityType.choices)
STATUS_LABELS: dict[str, Any] = dict(EntityStatus.choices)


def row_out(profile: EntityProfile) -> dict[str, Any]:
    org = profile.organization
    return {
        "credit_code": org.credit_code,
        "name": org.name,
        "entity_type": profile.entity_type,
        "entity_type_label": str(ENTITY_TYPE_LABELS.get(profile.entity_type, profile.entity_type)),
        "status": profile.status,
        "status_label": str(STATUS_LABELS.get(profile.status, profile.status)),
        "district": profile.district.name,
        "street": profile.street.name if profile.street else "",
        "industry_code": profile.industry.code,
        "industry": profile.industry.name,
        "established_on": profile.established_on,
        "risk_grade": profile.risk_grade,
    }


def version_out(version: EntityVersion) -> dict[str, Any]:
    by = version.by.get_username() if version.by is not None else version.by_label
    return {
        "number": version.number,
        "kind": version.kind,
        "kind_label": str(version.get_kind_display()),
        "at": version.at,
        "by": by,
        "before": version.before,
        "after": version.after,
    }


def former_out(former: FormerName) -> dict[str, Any]:
    return {"name": former.name, "used_until": former.used_until}


def detail_out(view: EntityProfileView) -> dict[str, Any]:
    profile = view.profile
    org = profile.organization
    capital = profile.registered_capital
    return {
        **row_out(profile),
        "has_credit_code": profile.has_credit_code,
        "registration_number": profile.registration_number,
        "legal_representative_name": org.legal_representative_name,
        "legal_rep_id_number": profile.legal_rep_id_number_masked,
        "legal_rep_phone": profile.legal_rep_phone_masked,
        "address": profile.address,
        "district_code": profile.district.code,
        "street_code": profile.street.code if profile.street else "",
        "registered_capital": None if capital is None else format(capital.normalize(), "f"),
        "currency": profile.currency,
        "approved_on": profile.approved_on,
        "status_on": profile.status_on,
        "business_scope": profile.business_scope,
        "risk_graded_on": profile.risk_graded_on,
        "risk_source": profile.risk_source,
        "version": profile.version,
        "versions": [version_out(v) for v in view.versions],
        "former_names": [former_out(f) for f in view.former_names],
    }


def import_out(run: EntityImport) -> dict[str, Any]:
    fields = (
        "id",
        "file_name",
        "status",
        "encoding",
        "started_at",
        "finished_at",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_failed",
        "message",
    )
    return {**{name: getattr(run, name) for name in fields}, "errors": run.errors}
