"""The housing-transaction record (二手房交易涉税信息) that the client form fills and the QR carries.

One record is one second-hand housing transaction: the property, the contract, the sellers and
the buyers (each buyer with the family that DOMAIN.md §6 counts for deed tax: spouse and minor
children, and the number of homes the family already holds). Amounts are strings of decimals
(yuan, m², percent) so that no float rounding happens between the form, the QR and the window.

``to_wire``/``from_wire`` map field names to short keys for the QR code (the HCERT practice of
short claim keys); the map is part of the rule-set version that travels in the code.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError
from onewindow.core.normalize import nfkc, nfkc_number


class HousingUse:
    RESIDENTIAL = "residential"
    OTHER = "other"
    CHOICES = ((RESIDENTIAL, _("住宅")), (OTHER, _("非住宅")))


class HousingClass:
    """普通住房 / 非普通住房 (Shanghai abolished the distinction from 2024-12-01, DOMAIN.md §6)."""

    ORDINARY = "ordinary"
    NON_ORDINARY = "non_ordinary"
    CHOICES = ((ORDINARY, _("普通住房")), (NON_ORDINARY, _("非普通住房")))


class IdKind:
    RESIDENT_ID = "resident_id"
    OTHER = "other"


@dataclass
class Person:
    name: str
    id_number: str
    id_kind: str = IdKind.RESIDENT_ID
    phone: str = ""


@dataclass
class Party(Person):
    """A seller or buyer with their share of the property in percent."""

    share: str = "100"


@dataclass
class Family:
    """The buyer's family for deed tax (家庭: the buyer, spouse and minor children)."""

    spouse: Person | None = None
    children: list[Person] = field(default_factory=list)
    homes_held: int = 0


@dataclass
class Buyer(Party):
    family: Family = field(default_factory=Family)


@dataclass
class Seller(Party):
    only_family_home: bool = False  # 家庭唯一生活用房, for the 满五唯一 income-tax exemption


@dataclass
class Property:
    certificate_no: str
    address: str
    district_code: str
    street_code: str
    area: str
    use: str = HousingUse.RESIDENTIAL
    housing_class: str = HousingClass.ORDINARY
    acquired_on: str = ""  # ISO date
    original_price: str = ""  # yuan; empty when proof of the original value is incomplete


@dataclass
class Contract:
    price: str
    signed_on: str  # ISO date
    agency_name: str = ""
    agency_credit_code: str = ""
    agent_name: str = ""


@dataclass
class Transaction:
    property: Property
    contract: Contract
    sellers: list[Seller]
    buyers: list[Buyer]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _need(data: dict[str, Any], key: str, path: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise DomainError(_("缺少必填信息：%(path)s") % {"path": f"{path}.{key}".strip(".")},
                          code="record_incomplete", fields={f"{path}.{key}".strip("."): [_("必填")]})
    return data[key]


def _person(data: dict[str, Any], path: str) -> dict[str, Any]:
    return {"name": str(_need(data, "name", path)), "id_number": nfkc(str(_need(data, "id_number", path))),
            "id_kind": str(data.get("id_kind", IdKind.RESIDENT_ID)), "phone": nfkc(str(data.get("phone", "")))}


def transaction_from_dict(data: dict[str, Any]) -> Transaction:
    """Build a Transaction from plain data (a form post or a decoded QR); shapes only, no rules.

    Numbers, codes, dates and identifiers are folded to ASCII (core.normalize: full-width ``１２３``
    is ``123``), so a value typed in full-width mode is stored once, as its ASCII twin (issue #9);
    names and addresses are kept as typed.
    """
    prop = _need(data, "property", "")
    contract = _need(data, "contract", "")
    sellers_data = _need(data, "sellers", "")
    buyers_data = _need(data, "buyers", "")
    if not isinstance(sellers_data, list) or not isinstance(buyers_data, list):
        raise DomainError(_("卖方和买方应为列表"), code="record_incomplete")
    sellers = [
        Seller(**_person(s, f"sellers.{i}"), share=nfkc_number(str(s.get("share", "100"))),
               only_family_home=bool(s.get("only_family_home", False)))
        for i, s in enumerate(sellers_data)
    ]
    buyers = []
    for i, b in enumerate(buyers_data):
        if not isinstance(b, dict):
            raise DomainError(_("买方信息格式有误"), code="record_invalid", fields={f"buyers.{i}": [_("格式有误")]})
        fam = b.get("family") or {}
        if not isinstance(fam, dict) or not isinstance(fam.get("children") or [], list):
            raise DomainError(_("家庭信息格式有误"), code="record_invalid",
                              fields={f"buyers.{i}.family": [_("格式有误")]})
        spouse = _person(fam["spouse"], f"buyers.{i}.family.spouse") if fam.get("spouse") else None
        children = [_person(c, f"buyers.{i}.family.children.{j}") for j, c in enumerate(fam.get("children") or [])]
        try:
            homes_held = int(fam.get("homes_held", 0))
        except (TypeError, ValueError):
            raise DomainError(_("家庭已有住房套数应为整数"), code="record_invalid",
                              fields={f"buyers.{i}.family.homes_held": [_("应为整数")]}) from None
        buyers.append(Buyer(**_person(b, f"buyers.{i}"), share=nfkc_number(str(b.get("share", "100"))),
                            family=Family(Person(**spouse) if spouse else None,
                                          [Person(**c) for c in children], homes_held)))
    return Transaction(
        property=Property(
            certificate_no=str(_need(prop, "certificate_no", "property")),
            address=str(_need(prop, "address", "property")),
            district_code=nfkc_number(str(_need(prop, "district_code", "property"))),
            street_code=nfkc_number(str(prop.get("street_code", ""))),
            area=nfkc_number(str(_need(prop, "area", "property"))),
            use=str(prop.get("use", HousingUse.RESIDENTIAL)),
            housing_class=str(prop.get("housing_class", HousingClass.ORDINARY)),
            acquired_on=nfkc(str(_need(prop, "acquired_on", "property"))),
            original_price=nfkc_number(str(prop.get("original_price", "") or "")),
        ),
        contract=Contract(
            price=nfkc_number(str(_need(contract, "price", "contract"))),
            signed_on=nfkc(str(_need(contract, "signed_on", "contract"))),
            agency_name=str(contract.get("agency_name", "")),
            agency_credit_code=nfkc(str(contract.get("agency_credit_code", ""))).upper(),
            agent_name=str(contract.get("agent_name", "")),
        ),
        sellers=sellers,
        buyers=buyers,
    )


def parse_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


# Short keys for the QR code, version 1 of the wire format (part of the rule set).
WIRE_KEYS_V1 = {
    "property": "p", "contract": "c", "sellers": "s", "buyers": "b", "certificate_no": "cn",
    "address": "ad", "district_code": "dc", "street_code": "sc", "area": "ar", "use": "us",
    "housing_class": "hc", "acquired_on": "ao", "original_price": "op", "price": "pr",
    "signed_on": "so", "agency_name": "an", "agency_credit_code": "ac", "agent_name": "ag",
    "name": "n", "id_number": "i", "id_kind": "k", "phone": "ph", "share": "sh",
    "only_family_home": "oh", "family": "f", "spouse": "sp", "children": "ch", "homes_held": "hh",
}
_WIRE_BACK_V1 = {short: long for long, short in WIRE_KEYS_V1.items()}


def _rename(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {table.get(k, k): _rename(v, table) for k, v in value.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        return [_rename(v, table) for v in value]
    return value


def to_wire(transaction: Transaction) -> dict[str, Any]:
    """The record with short keys and empty values left out, for the QR code."""
    return _rename(transaction.to_dict(), WIRE_KEYS_V1)  # type: ignore[no-any-return]


def from_wire(data: Any) -> Transaction:
    """The record carried by a verified QR code; a payload of the wrong shape is ``qr_payload_invalid``.

    A signed code is validated before it is made, so a shape error here means a code made by
    something else than this system's client (or a key misuse): a 422 for the window, never a 500.
    """
    from .codec import QrError

    try:
        return transaction_from_dict(_rename(data, _WIRE_BACK_V1))
    except (DomainError, AttributeError, TypeError, ValueError, KeyError) as exc:
        raise QrError(_("二维码中的房交信息格式无法识别，请让纳税人用最新客户端重新生成。"),
                      code="qr_payload_invalid") from exc
