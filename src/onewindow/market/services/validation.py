"""Checking one entity's registration data (a form, an API body or one row of an import).

Pure apart from :class:`References`, which loads the region and industry tables once (a few
hundred rows), so a bulk import checks millions of rows without a query per row. Every problem is
a :class:`RowError` with the field and a stable code; a row with any problem is not written.

Rules: the unified social credit code per GB 32100-2015 (DOMAIN.md R5.3, ``core.identifiers`` with
python-stdnum ``cn.uscc``); a 个体工商户 without one is keyed by its 15-digit 注册号 (GB 15 位工商注册号,
ISO 7064 MOD 11,10 check digit; see ``models.entity``); the district and street are
``core.Region`` codes of Shanghai (DOMAIN.md §8) and the street must lie in the district; the
industry is a GB/T 4754-2017 code of ``Industry``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum.iso7064 import mod_11_10

from onewindow.accounts.choices import OrganizationKind
from onewindow.core.errors import DomainError
from onewindow.core.identifiers import validate_credit_code, validate_mobile, validate_resident_id
from onewindow.core.models import Region, RegionLevel
from onewindow.core.normalize import nfkc

from ..choices import EntityStatus, EntityType
from ..models import Industry
from ..search_keys import normalize_name

FIELDS = (
    "credit_code",
    "registration_number",
    "name",
    "entity_type",
    "legal_representative_name",
    "legal_rep_id_number",
    "legal_rep_phone",
    "address",
    "district_code",
    "street_code",
    "industry_code",
    "registered_capital",
    "currency",
    "established_on",
    "approved_on",
    "status",
    "status_on",
    "business_scope",
)
REQUIRED = frozenset({"name", "entity_type", "address", "district_code", "industry_code", "established_on"})
CITY_PREFIX = "31"
_REG_NO = re.compile(r"^\d{15}$", re.ASCII)
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,30}$", re.ASCII)
_RESIDENT_ID = re.compile(r"^(\d{15}|\d{17}[\dX])$", re.ASCII)
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$", re.ASCII)
_CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)
MAX_CAPITAL = Decimal("99999999999999")

ORGANIZATION_KIND: dict[str, str] = {
    EntityType.INDIVIDUAL_BUSINESS: OrganizationKind.INDIVIDUAL_BUSINESS,
    EntityType.FARMER_COOPERATIVE: OrganizationKind.FARMER_COOPERATIVE,
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: the field, a stable code and a message for people."""

    field: str
    code: str
    message: str | Promise
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "code": self.code, "message": str(self.message)}


@dataclass(slots=True)
class EntityInput:
    """Checked registration data; ``credit_code`` is the key (the 注册号 when there is no code)."""

    credit_code: str
    has_credit_code: bool
    registration_number: str
    name: str
    entity_type: str
    legal_representative_name: str
    legal_rep_id_number: str
    legal_rep_phone: str
    address: str
    district_code: str
    district_id: int
    street_code: str
    street_id: int | None
    industry_code: str
    industry_id: int
    registered_capital: Decimal | None
    currency: str
    established_on: datetime.date
    approved_on: datetime.date | None
    status: str
    status_on: datetime.date | None
    business_scope: str

    @property
    def organization_kind(self) -> str:
        return ORGANIZATION_KIND.get(self.entity_type, str(OrganizationKind.ENTERPRISE))

    @property
    def region_id(self) -> int:
        return self.street_id or self.district_id


@dataclass
class References:
    """The region and industry codes, loaded once for a whole import."""

    regions: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # code → (id, level, parent code)
    industries: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> References:
        rows = Region.objects.filter(code__startswith=CITY_PREFIX).values_list("pk", "code", "level", "parent__code")
        regions = {code: (pk, level, parent or "") for pk, code, level, parent in rows}
        industries = dict(Industry.objects.values_list("code", "pk"))
        return cls(regions=regions, industries=industries)


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(nfkc(str(value)).split())


#: The keys of each choice set (``Choices.values`` builds a new list on every call: at millions of
#: rows of an import that was a tenth of the checking).
_KEYS: dict[type[Any], frozenset[str]] = {
    EntityType: frozenset(EntityType.values),
    EntityStatus: frozenset(EntityStatus.values),
}


def _choice(value: str, choices: type[EntityType] | type[EntityStatus]) -> str | None:
    """A choice by its key (``limited_company``) or its zh label (``有限责任公司``)."""
    if value in _KEYS[choices]:
        return value
    for key, label in choices.choices:
        if value == str(label):
            return str(key)
    return None


def parse_date(value: str) -> datetime.date | None:
    if len(value) == 10 and value[4] == "-":
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def registration_number_valid(number: str) -> bool:
    """A 15-digit 工商注册号 with its ISO 7064 MOD 11,10 check digit (GB 15 位注册号编制规则)."""
    return bool(_REG_NO.match(number)) and mod_11_10.is_valid(number)


class _Checker:
    def __init__(self, raw: Mapping[str, Any], refs: References, today: datetime.date) -> None:
        self.raw = raw
        self.refs = refs
        self.today = today
        self.errors: list[RowError] = []

    def fail(self, name: str, code: str, message: str | Promise) -> None:
        self.errors.append(RowError(name, code, message))

    def text(self, name: str, max_length: int) -> str:
        value = _text(self.raw, name)
        if not value and name in REQUIRED:
            self.fail(name, "market_field_required", _("此项为必填项"))
        elif len(value) > max_length:
            self.fail(name, "market_field_too_long", _("内容过长，最多 %(n)d 个字") % {"n": max_length})
        return value

    def date(self, name: str) -> datetime.date | None:
        value = self.text(name, 20)
        if not value:
            return None
        day = parse_date(value)
        if day is None:
            self.fail(name, "market_date_invalid", _("日期格式应为 YYYY-MM-DD"))
        elif day > self.today or day.year < 1949:
            self.fail(name, "market_date_out_of_range", _("日期不能晚于今天，也不能早于1949年"))
            return None
        return day

    def key(self, entity_type: str | None) -> tuple[str, bool, str]:
        code = _text(self.raw, "credit_code").upper()
        number = _text(self.raw, "registration_number")
        if number and not registration_number_valid(number):
            self.fail(
                "registration_number", "market_registration_number_invalid", _("注册号应为15位数字，且校验位正确")
            )
        if code:
            try:
                return validate_credit_code(code), True, number
            except DomainError as exc:
                self.fail("credit_code", exc.code, exc.message)
                return code, True, number
        if entity_type == EntityType.INDIVIDUAL_BUSINESS and number:
            return number, False, number
        if entity_type == EntityType.INDIVIDUAL_BUSINESS:
            self.fail("credit_code", "market_key_required", _("个体工商户须填写统一社会信用代码或15位注册号"))
        else:
            self.fail("credit_code", "market_credit_code_required", _("请填写统一社会信用代码"))
        return "", True, number

    def region(self, name: str, level: str, parent: str = "") -> tuple[str, int | None]:
        code = _text(self.raw, name)
        if not code:
            if name in REQUIRED:
                self.fail(name, "market_field_required", _("此项为必填项"))
            return "", None
        found = self.refs.regions.get(code)
        if found is None or found[1] != level:
            self.fail(name, "market_region_unknown", _("未知的行政区划代码：%(code)s") % {"code": code[:12]})
            return code, None
        if parent and found[2] != parent:
            self.fail(name, "market_street_outside_district", _("街镇不属于所填的区"))
            return code, None
        return code, found[0]

    def legal_rep_id(self) -> str:
        value = re.sub(r"[\s-]", "", _text(self.raw, "legal_rep_id_number")).upper()
        if not value:
            return ""
        if _RESIDENT_ID.match(value):
            try:
                return validate_resident_id(value, field="legal_rep_id_number").number
            except DomainError as exc:
                self.fail("legal_rep_id_number", exc.code, exc.message)
                return ""
        if not _OTHER_DOCUMENT.match(value):
            self.fail("legal_rep_id_number", "market_id_number_format", _("证件号码应为5至30位字母或数字"))
        return value

    def phone(self) -> str:
        value = _text(self.raw, "legal_rep_phone")
        if not value:
            return ""
        if _LANDLINE.match(value.replace(" ", "")):
            return value.replace(" ", "")
        try:
            return validate_mobile(value, field="legal_rep_phone")
        except DomainError:
            self.fail("legal_rep_phone", "market_phone_format", _("联系电话应为11位手机号码或带区号的固定电话"))
            return ""

    def capital(self) -> Decimal | None:
        value = _text(self.raw, "registered_capital").replace(",", "")
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.fail("registered_capital", "market_capital_invalid", _("注册资本应为数字（万元）"))
            return None
        if not amount.is_finite() or amount < 0 or amount > MAX_CAPITAL:
            self.fail("registered_capital", "market_capital_invalid", _("注册资本应为数字（万元）"))
            return None
        return amount.quantize(Decimal("0.0001"))


def check_entity(
    raw: Mapping[str, Any], refs: References, *, today: datetime.date | None = None
) -> tuple[EntityInput | None, list[RowError]]:
    """The checked input of one entity, or None with every problem found (all fields are checked,
    so a clerk fixes a row once)."""
    c = _Checker(raw, refs, today or timezone.localdate())
    entity_type = _choice(c.text("entity_type", 40), EntityType)
    if entity_type is None and _text(raw, "entity_type"):
        c.fail("entity_type", "market_entity_type_unknown", _("未知的主体类型"))
    key, has_code, number = c.key(entity_type)
    name = c.text("name", 200)
    if name and len(normalize_name(name)) < 2:
        c.fail("name", "market_name_invalid", _("名称至少应含两个汉字、字母或数字"))
    district_code, district_id = c.region("district_code", RegionLevel.DISTRICT)
    street_code, street_id = c.region("street_code", RegionLevel.STREET, parent=district_code if district_id else "")
    industry_code = c.text("industry_code", 5).upper()
    industry_id = refs.industries.get(industry_code)
    if industry_code and industry_id is None:
        c.fail(
            "industry_code",
            "market_industry_unknown",
            _("未知的国民经济行业代码（GB/T 4754-2017）：%(code)s") % {"code": industry_code},
        )
    status = _choice(_text(raw, "status") or EntityStatus.ACTIVE, EntityStatus)
    if status is None:
        c.fail("status", "market_status_unknown", _("登记状态应为存续、吊销、注销或迁出"))
    currency = (_text(raw, "currency") or "CNY").upper()
    if not _CURRENCY.match(currency):
        c.fail("currency", "market_currency_invalid", _("币种应为三位字母代码，如 CNY"))
    established_on = c.date("established_on")
    approved_on = c.date("approved_on")
    if established_on and approved_on and approved_on < established_on:
        c.fail("approved_on", "market_date_order", _("核准日期不能早于成立日期"))
    representative = c.text("legal_representative_name", 100)
    id_number, phone, address = c.legal_rep_id(), c.phone(), c.text("address", 300)
    capital, status_on, scope = c.capital(), c.date("status_on"), c.text("business_scope", 4000)
    if (
        c.errors
        or entity_type is None
        or status is None
        or established_on is None
        or district_id is None
        or industry_id is None
    ):
        return None, c.errors
    return EntityInput(
        credit_code=key,
        has_credit_code=has_code,
        registration_number=number,
        name=name,
        entity_type=entity_type,
        district_code=district_code,
        district_id=district_id,
        street_code=street_code,
        street_id=street_id,
        industry_code=industry_code,
        industry_id=industry_id,
        currency=currency,
        established_on=established_on,
        approved_on=approved_on,
        status=status,
        legal_representative_name=representative,
        legal_rep_id_number=id_number,
        legal_rep_phone=phone,
        address=address,
        registered_capital=capital,
        status_on=status_on,
        business_scope=scope,
    ), []


def refuse(errors: list[RowError]) -> DomainError:
    """One refusal for a form or API body: the first problem's code and message, every field."""
    fields: dict[str, list[str | Promise]] = {}
    for error in errors:
        fields.setdefault(error.field, []).append(error.message)
    first = errors[0]
    return DomainError(first.message, code=first.code, fields=fields, status=422)
