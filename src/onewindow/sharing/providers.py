"""Providers (数据提供者) of this installation's registers, behind one interface.

The exchange (``services/exchange.py``) reaches a resource with ``adapter = in_process`` by the
provider registered here under the resource's ``provider`` name. A provider answers a query
(``params``, validated by the provider) with rows of field values and the as-of time of its data;
the exchange then keeps only the granted fields and masks personal fields that are not granted.
Providers read through the owning app's selectors (market, accounts) or the dataset rows loaded
by bulk drops; they never write.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProviderAnswer:
    """A provider's answer: ``rows`` of ``{field name: value}`` (JSON-serializable values; dates
    as ISO strings) and ``as_of``, the time the source data was last updated (shown beside
    pre-filled values)."""

    rows: list[dict[str, Any]]
    as_of: datetime.datetime | None = None


class ProviderError(Exception):
    """A refusal by a provider: ``code`` is stable (e.g. ``sharing_params_invalid``), ``message``
    translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Provider:
    """One registered provider: ``name`` (``market.entity``), the ``fields`` it can answer (the
    schema a resource version must stay within), the ``params`` it accepts, and ``query``."""

    name: str
    fields: tuple[str, ...]
    params: tuple[str, ...]
    query: Callable[..., ProviderAnswer]
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


PROVIDERS: dict[str, Provider] = {}


def register_provider(provider: Provider) -> None:
    """Register (or replace, in tests) the provider under its name."""
    PROVIDERS[provider.name] = provider


def provider_for(name: str) -> Provider | None:
    return PROVIDERS.get(name)


# ---- built-in providers ------------------------------------------------------------------------
#
# Each reads with a narrow query of its own (the owning apps' selectors are scoped to a user and
# audit a person's view; an exchange is authorised by its grant instead and logged by the
# exchange), never writes, and answers values in a form that does not depend on the caller's
# language: codes as stored, labels in Chinese (the source language of every label).

PARAMS_INVALID = "sharing_params_invalid"


def _field(name: str, label: str, type_: str = "string", *, personal: bool = False,
           key: bool = False) -> dict[str, Any]:
    return {"name": name, "label": label, "type": type_, "personal": personal, "key": key}


def _params_error(message: Any) -> ProviderError:
    return ProviderError(PARAMS_INVALID, str(message))


def _one_param(params: dict[str, Any], name: str) -> str:
    """The single string parameter ``name``; any other parameter, or a non-string, is refused."""
    from django.utils.translation import gettext as _

    extra = sorted(set(params) - {name})
    if extra:
        raise _params_error(_("不支持的查询条件：%(names)s") % {"names": "、".join(map(str, extra))})
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _params_error(_("请提供查询条件 %(name)s。") % {"name": name})
    return value.strip()


def _credit_code(params: dict[str, Any]) -> str:
    from onewindow.core.errors import DomainError
    from onewindow.core.identifiers import validate_credit_code

    try:
        return validate_credit_code(_one_param(params, "credit_code"))
    except DomainError as exc:
        raise _params_error(exc.message) from None


def _zh(label: Any) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(label)


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


ENTITY_SCHEMA: list[dict[str, Any]] = [
    _field("credit_code", "统一社会信用代码", "credit_code", key=True),
    _field("name", "名称"),
    _field("entity_type", "主体类型"),
    _field("status", "登记状态"),
    _field("legal_representative", "法定代表人（负责人）", personal=True),
    _field("address", "住所"),
    _field("industry_code", "行业代码"),
    _field("industry", "行业"),
    _field("established_on", "成立日期", "date"),
    _field("district_code", "所在区代码", "region"),
    _field("district", "所在区"),
]


def market_entity_query(params: dict[str, Any], **_: Any) -> ProviderAnswer:
    """市场主体登记信息 by ``credit_code``: one row (or none) from market's registry; the
    registration's ``updated_at`` is the as-of time. The type and status are answered as their
    Chinese labels (what a form shows), the industry and district also by code."""
    from onewindow.market.models import EntityProfile

    code = _credit_code(params)
    profile = (EntityProfile.objects.select_related("organization", "industry", "district")
               .filter(organization__credit_code=code).first())
    if profile is None:
        return ProviderAnswer(rows=[], as_of=None)
    org = profile.organization
    row = {
        "credit_code": org.credit_code,
        "name": org.name,
        "entity_type": _zh(profile.get_entity_type_display()),
        "status": _zh(profile.get_status_display()),
        "legal_representative": org.legal_representative_name,
        "address": profile.address,
        "industry_code": profile.industry.code,
        "industry": profile.industry.name,
        "established_on": _iso(profile.established_on),
        "district_code": profile.district.code,
        "district": profile.district.name,
    }
    return ProviderAnswer(rows=[row], as_of=profile.updated_at)


LICENCE_SCHEMA: list[dict[str, Any]] = [
    _field("credit_code", "统一社会信用代码", "credit_code", key=True),
    _field("licence_name", "证照名称"),
    _field("licence_number", "许可决定文书号"),
    _field("issuing_department", "发证机关"),
    _field("decided_on", "许可决定日期", "date"),
    _field("valid_from", "有效期起", "date"),
    _field("valid_to", "有效期至", "date"),
    _field("status", "状态"),
]


def market_licences_query(params: dict[str, Any], **_: Any) -> ProviderAnswer:
    """行政许可 (电子证照) held under ``credit_code``: market's pooled records of kind licence, in
    force or not (``status`` says which: 有效 / 暂停 / 注销 / 撤销), newest decision first; the
    latest ``updated_at`` among them is the as-of time. Records still waiting in the matching
    queue count too: they are pooled under the credit code they were delivered with."""
    from onewindow.market.choices import RecordKind
    from onewindow.market.models import PooledRecord

    code = _credit_code(params)
    records = list(PooledRecord.objects.select_related("department")
                   .filter(credit_code=code, kind=RecordKind.LICENCE).order_by("-record_date", "-id"))
    rows = [
        {
            "credit_code": r.credit_code,
            "licence_name": r.title,
            "licence_number": r.number,
            "issuing_department": r.department.name,
            "decided_on": _iso(r.record_date),
            "valid_from": _iso(r.valid_from),
            "valid_to": _iso(r.valid_to),
            "status": _zh(r.get_status_display()),
        }
        for r in records
    ]
    return ProviderAnswer(rows=rows, as_of=max((r.updated_at for r in records), default=None))


def dataset_key_value(key_field: dict[str, Any] | None, value: str) -> str:
    """A dataset key as stored: an ID number or credit code checked and normalised (refused with
    ``sharing_params_invalid``), anything else stripped."""
    from onewindow.core.errors import DomainError
    from onewindow.core.identifiers import validate_credit_code, validate_resident_id

    kind = (key_field or {}).get("type")
    try:
        if kind == "id_number":
            return validate_resident_id(value, field="key").number
        if kind == "credit_code":
            return validate_credit_code(value, field="key")
    except DomainError as exc:
        raise _params_error(exc.message) from None
    return value


def sharing_dataset_query(params: dict[str, Any], *, resource: Any = None, **_: Any) -> ProviderAnswer:
    """A dataset resource's row (loaded by bulk drops) whose key field equals ``key``, found by
    the keyed hash of the value (the key may be an ID number: it is never stored or searched in
    clear); the row's JSON is decrypted; its ``updated_at`` is the as-of time. The answer holds the
    version's fields only."""
    from .selectors.bulk import dataset_row_for

    if resource is None or resource.current is None:
        raise ProviderError("sharing_provider_unavailable", "dataset provider called without a published resource")
    fields = list(resource.current.fields)
    key_field = next((f for f in fields if f.get("key")), None)
    value = dataset_key_value(key_field, _one_param(params, "key"))
    found = dataset_row_for(resource, value)
    if found is None:
        return ProviderAnswer(rows=[], as_of=None)
    data, row = found
    names = [f["name"] for f in fields]
    return ProviderAnswer(rows=[{name: data.get(name) for name in names}], as_of=row.updated_at)


register_provider(Provider(
    name="market.entity", fields=tuple(f["name"] for f in ENTITY_SCHEMA), params=("credit_code",),
    query=market_entity_query, description="市场主体登记信息（按统一社会信用代码）",
    extra={"schema": ENTITY_SCHEMA},
))
register_provider(Provider(
    name="market.licences", fields=tuple(f["name"] for f in LICENCE_SCHEMA), params=("credit_code",),
    query=market_licences_query, description="行政许可（电子证照，按统一社会信用代码）",
    extra={"schema": LICENCE_SCHEMA},
))
class CatalogueFields(tuple[str, ...]):
    """The ``fields`` of a provider whose schema is the catalogue's own (``sharing.dataset``: the
    rows are loaded from drops against the version's schema), so every field name is within it."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)


register_provider(Provider(
    name="sharing.dataset", fields=CatalogueFields(), params=("key",), query=sharing_dataset_query,
    description="批量交换加载的数据集（按键值），数据项由资源目录定义",
    extra={"schema": None, "fields_from_catalogue": True},
))
