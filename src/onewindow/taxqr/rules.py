"""Validation rules of the housing-transaction record, versioned (校验规则).

The seed article: "二维码采集嵌入了校验规则，避免了手工书写反复核验". The same rules run on the
taxpayer's side before a code is made and again at the tax window after it is scanned; the
rule-set version travels in the code, and a code made under a version that has since changed is
accepted only during a grace period (see ``RULESETS`` and ``ruleset_status``).

Each rule yields findings: an *error* blocks the code (and the window), a *warning* is shown to
the clerk (e.g. an implausible price per m² for the street).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError
from onewindow.core.identifiers import validate_credit_code, validate_mobile, validate_resident_id

from .record import HousingClass, HousingUse, IdKind, Person, Transaction, parse_date, parse_decimal

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    path: str
    code: str
    message: str | Promise
    severity: str = ERROR


@dataclass(frozen=True)
class RuleSet:
    """A version of the rules. ``superseded_on`` starts the grace period of codes made under it."""

    version: str
    effective_on: datetime.date
    min_area: Decimal = Decimal("5")
    max_area: Decimal = Decimal("3000")
    min_price: Decimal = Decimal("10000")
    max_price: Decimal = Decimal("1000000000")
    # A price per m² outside [low, high] × the district's reference price is flagged (warning only).
    price_band_low: Decimal = Decimal("0.3")
    price_band_high: Decimal = Decimal("3")
    superseded_on: datetime.date | None = None


# Every version ever issued; the last is current. Unconfirmed thresholds stay configurable here.
RULESETS: tuple[RuleSet, ...] = (
    RuleSet("2017.1", datetime.date(2017, 7, 15), superseded_on=datetime.date(2024, 12, 1)),
    RuleSet("2024.12", datetime.date(2024, 12, 1), superseded_on=datetime.date(2026, 1, 1)),
    RuleSet("2026.1", datetime.date(2026, 1, 1)),
)

# Reference prices per m² by district (yuan), for the plausibility warning only. Illustrative
# figures of the order of the 2025 second-hand market; an installation sets its own.
REFERENCE_PRICE_PER_M2: dict[str, Decimal] = {
    "310101": Decimal("110000"), "310104": Decimal("95000"), "310105": Decimal("85000"),
    "310106": Decimal("90000"), "310107": Decimal("65000"), "310109": Decimal("70000"),
    "310110": Decimal("68000"), "310112": Decimal("60000"), "310113": Decimal("45000"),
    "310114": Decimal("38000"), "310115": Decimal("62000"), "310116": Decimal("22000"),
    "310117": Decimal("36000"), "310118": Decimal("35000"), "310120": Decimal("28000"),
    "310151": Decimal("18000"),
}

# Shanghai property certificates: 不动产权证书 "沪(2017)静字不动产权第012345号" (since 2016) and the
# older 房地产权证 "沪房地静字(2005)第012345号".
_CERT_NEW = re.compile(r"^沪\((\d{4})\)([\u4e00-\u9fff]{1,3})字不动产权第(\d{6,8})号$")
_CERT_OLD = re.compile(r"^沪房地([\u4e00-\u9fff]{1,3})字\((\d{4})\)第(\d{6,8})号$")


def current() -> RuleSet:
    return RULESETS[-1]


def get(version: str) -> RuleSet | None:
    return next((r for r in RULESETS if r.version == version), None)


def ruleset_status(version: str, *, today: datetime.date, grace_days: int) -> RuleSet:
    """The rule set a scanned code was made under, if the window may still accept it.

    Refusals: ``ruleset_unknown`` (never issued) and ``ruleset_expired`` (superseded more than
    ``grace_days`` ago: the taxpayer must regenerate the code with the current client).
    """
    ruleset = get(version)
    if ruleset is None:
        raise DomainError(_("二维码的校验规则版本 %(v)s 无法识别，请用最新客户端重新生成二维码。") % {"v": version},
                          code="ruleset_unknown", status=422)
    if ruleset.superseded_on and today > ruleset.superseded_on + datetime.timedelta(days=grace_days):
        raise DomainError(
            _("二维码按已停用的校验规则 %(v)s 生成（%(d)s 起停用），请纳税人用最新客户端重新填写并生成二维码。")
            % {"v": version, "d": ruleset.superseded_on.isoformat()},
            code="ruleset_expired", status=422,
        )
    return ruleset


#: A window code (窗口号): letters, digits, ``-`` and ``_``, up to 20 — never dots, slashes or spaces.
WINDOW_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,19}")


def window_code(value: str, *, field: str = "window") -> str:
    """The window code typed at the window page (full-width folded), or ``window_invalid`` (422)."""
    import unicodedata

    code = unicodedata.normalize("NFKC", value or "").strip()
    if code and not WINDOW_PATTERN.fullmatch(code):
        message = _("窗口号只能由字母、数字、“-”或“_”组成，最多20个字符。")
        raise DomainError(message, code="window_invalid", status=422, fields={field: [message]})
    return code


def normalize_certificate(value: str) -> str:
    return value.strip().replace("（", "(").replace("）", ")").replace(" ", "")


def _check_person(person: Person, path: str, *, need_phone: bool) -> Iterator[Finding]:
    if not person.name.strip():
        yield Finding(f"{path}.name", "name_required", _("请填写姓名"))
    if person.id_kind == IdKind.RESIDENT_ID:
        try:
            validate_resident_id(person.id_number, field=f"{path}.id_number")
        except DomainError as exc:
            yield Finding(f"{path}.id_number", exc.code, exc.message)
    elif not person.id_number.strip():
        yield Finding(f"{path}.id_number", "id_number_required", _("请填写证件号码"))
    if need_phone or person.phone:
        try:
            validate_mobile(person.phone, field=f"{path}.phone")
        except DomainError as exc:
            yield Finding(f"{path}.phone", exc.code, exc.message)


def _check_shares(parties: list, path: str) -> Iterator[Finding]:  # type: ignore[type-arg]
    total = Decimal("0")
    for i, party in enumerate(parties):
        share = parse_decimal(party.share)
        if share is None or not Decimal("0") < share <= Decimal("100"):
            yield Finding(f"{path}.{i}.share", "share_invalid", _("份额应为大于0且不超过100的百分数"))
            return
        total += share
    if parties and total != Decimal("100"):
        yield Finding(path, "shares_not_100", _("共有人份额合计应为100%%，现为 %(t)s%%") % {"t": total})


def check(tx: Transaction, *, ruleset: RuleSet, today: datetime.date) -> list[Finding]:
    """Every finding of ``ruleset`` on ``tx``; an empty list means the record may be coded."""
    return list(_check(tx, ruleset=ruleset, today=today))


def _check(tx: Transaction, *, ruleset: RuleSet, today: datetime.date) -> Iterator[Finding]:
    prop, contract = tx.property, tx.contract
    cert = normalize_certificate(prop.certificate_no)
    if not (_CERT_NEW.match(cert) or _CERT_OLD.match(cert)):
        yield Finding("property.certificate_no", "certificate_format",
                      _("产权证号格式应为“沪(2017)静字不动产权第012345号”或“沪房地静字(2005)第012345号”"))
    if not prop.address.strip():
        yield Finding("property.address", "address_required", _("请填写房屋坐落地址"))
    if prop.district_code not in REFERENCE_PRICE_PER_M2:
        yield Finding("property.district_code", "district_unknown", _("请选择房屋所在的上海市区"))
    elif prop.street_code and not prop.street_code.startswith(prop.district_code):
        yield Finding("property.street_code", "street_not_in_district", _("所选街道不属于所选区"))
    if prop.use not in (HousingUse.RESIDENTIAL, HousingUse.OTHER):
        yield Finding("property.use", "use_invalid", _("房屋用途无效"))
    if prop.housing_class not in (HousingClass.ORDINARY, HousingClass.NON_ORDINARY):
        yield Finding("property.housing_class", "housing_class_invalid", _("住房类别无效"))
    area = parse_decimal(prop.area)
    if area is None or not ruleset.min_area <= area <= ruleset.max_area:
        yield Finding("property.area", "area_out_of_range",
                      _("建筑面积应在 %(lo)s 至 %(hi)s 平方米之间") % {"lo": ruleset.min_area, "hi": ruleset.max_area})
    price = parse_decimal(contract.price)
    if price is None or not ruleset.min_price <= price <= ruleset.max_price:
        yield Finding("contract.price", "price_out_of_range",
                      _("合同价格应在 %(lo)s 至 %(hi)s 元之间") % {"lo": ruleset.min_price, "hi": ruleset.max_price})
    if prop.original_price:
        original = parse_decimal(prop.original_price)
        if original is None or original <= 0:
            yield Finding("property.original_price", "original_price_invalid", _("房屋原值应为正数，或留空"))
    signed = parse_date(contract.signed_on)
    acquired = parse_date(prop.acquired_on)
    if signed is None:
        yield Finding("contract.signed_on", "date_invalid", _("合同签订日期无效"))
    elif signed > today:
        yield Finding("contract.signed_on", "contract_in_future", _("合同签订日期不能晚于今天"))
    if acquired is None:
        yield Finding("property.acquired_on", "date_invalid", _("房屋取得日期无效"))
    elif signed is not None and acquired > signed:
        yield Finding("property.acquired_on", "holding_period_negative", _("房屋取得日期不能晚于合同签订日期"))
    if contract.agency_credit_code:
        try:
            validate_credit_code(contract.agency_credit_code, field="contract.agency_credit_code")
        except DomainError as exc:
            yield Finding("contract.agency_credit_code", exc.code, exc.message)
    if not tx.sellers:
        yield Finding("sellers", "sellers_required", _("至少应有一名卖方"))
    if not tx.buyers:
        yield Finding("buyers", "buyers_required", _("至少应有一名买方"))
    for i, seller in enumerate(tx.sellers):
        yield from _check_person(seller, f"sellers.{i}", need_phone=True)
    for i, buyer in enumerate(tx.buyers):
        yield from _check_person(buyer, f"buyers.{i}", need_phone=True)
        if buyer.family.spouse:
            yield from _check_person(buyer.family.spouse, f"buyers.{i}.family.spouse", need_phone=False)
        if buyer.family.homes_held < 0:
            yield Finding(f"buyers.{i}.family.homes_held", "homes_held_negative", _("家庭已有住房套数不能为负数"))
        for j, child in enumerate(buyer.family.children):
            child_path = f"buyers.{i}.family.children.{j}"
            yield from _check_person(child, child_path, need_phone=False)
            yield from _check_minor(child, child_path, on=signed or today)
    yield from _check_shares(tx.sellers, "sellers")
    yield from _check_shares(tx.buyers, "buyers")
    if area and price and prop.district_code in REFERENCE_PRICE_PER_M2 and area > 0:
        per_m2 = price / area
        reference = REFERENCE_PRICE_PER_M2[prop.district_code]
        if not reference * ruleset.price_band_low <= per_m2 <= reference * ruleset.price_band_high:
            yield Finding("contract.price", "price_implausible",
                          _("单价 %(p)s 元/平方米与该区参考价 %(r)s 元/平方米相差较大，请核对") %
                          {"p": per_m2.quantize(Decimal("1")), "r": reference}, WARNING)


def _check_minor(child: Person, path: str, *, on: datetime.date) -> Iterator[Finding]:
    """A child counts in the deed-tax family only while under 18 (未成年子女, 民法典 art. 17)."""
    if child.id_kind != IdKind.RESIDENT_ID:
        return
    try:
        birth = validate_resident_id(child.id_number).birth_date
    except DomainError:
        return  # already reported by _check_person
    try:
        eighteenth = birth.replace(year=birth.year + 18)
    except ValueError:  # born on 29 February
        eighteenth = datetime.date(birth.year + 18, 3, 1)
    if on >= eighteenth:
        yield Finding(f"{path}.id_number", "child_not_minor", _("该子女在合同签订日已满18周岁，不属于未成年子女"))


def errors_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def raise_for_errors(findings: list[Finding]) -> None:
    """Refuse a record with errors: one DomainError listing every field's messages."""
    errors = errors_of(findings)
    if errors:
        fields: dict[str, list[str | Promise]] = {}
        for finding in errors:
            fields.setdefault(finding.path, []).append(finding.message)
        raise DomainError(_("房产交易信息有 %(n)s 处需要更正") % {"n": len(errors)}, code="record_invalid",
                          fields=fields, status=422)
