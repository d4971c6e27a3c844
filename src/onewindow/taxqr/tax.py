"""Tax estimate of a second-hand housing transaction in Shanghai (税费试算) — an estimate only.

Rates by contract date from DOMAIN.md §6 (each row names its source and whether it is
confirmed). The tables here are the seed; staff edit them (with effective dates) in the tax
administration, and the engine takes whatever table it is given. The result is labelled as an
estimate everywhere it is shown: the tax office decides the amount due.

- Deed tax 契税 (buyer), by the buyer family's homes already held and the area:
  财税〔2016〕23号 (2016-02-22 → 2024-11-30; no 2nd-home relief in Shanghai) and
  财政部 税务总局 住房城乡建设部公告2024年第16号 (from 2024-12-01).
- VAT 增值税 (seller): 财税〔2016〕36号 附件3 第五条 (2016-05-01 → 2024-11-30), 公告2024年第16号
  (2024-12-01 → 2025-12-31) and 公告2025年第17号 (from 2026-01-01). The 征收率 applies to the
  price net of VAT: tax = price ÷ (1 + rate) × rate.
- Individual income tax 个人所得税 (seller): exempt when 满五唯一 (财税字〔1994〕20号 第二条(六));
  20 % of the gain when the original value is proven (国税发〔2006〕108号); else the deemed rate
  (Shanghai 1 % / 2 % until 2024-11-30, 1 % from 2024-12-01; press reports, unconfirmed).
- Surcharges on VAT are unconfirmed and not estimated.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .record import HousingClass, Transaction, parse_date, parse_decimal

D = Decimal
FOREVER = datetime.date(9999, 12, 31)


@dataclass(frozen=True)
class DeedRate:
    valid_from: datetime.date
    valid_to: datetime.date
    home_rank: int  # 1 first home, 2 second home, 3 third or more
    max_area: Decimal | None  # the rate applies up to this area (inclusive); None: any area
    rate: Decimal
    basis: str
    confirmed: bool = True


@dataclass(frozen=True)
class VatRule:
    valid_from: datetime.date
    valid_to: datetime.date
    short_rate: Decimal  # held < 2 years: on the full price
    long_ordinary_rate: Decimal  # held ≥ 2 years, 普通住房
    long_non_ordinary_rate: Decimal  # held ≥ 2 years, 非普通住房, on the difference
    basis: str


@dataclass(frozen=True)
class IncomeTaxRule:
    valid_from: datetime.date
    valid_to: datetime.date
    deemed_ordinary: Decimal
    deemed_non_ordinary: Decimal
    basis: str
    confirmed: bool


@dataclass(frozen=True)
class RateTable:
    deed: tuple[DeedRate, ...]
    vat: tuple[VatRule, ...]
    income: tuple[IncomeTaxRule, ...]


_2016_02_22 = datetime.date(2016, 2, 22)
_2016_05_01 = datetime.date(2016, 5, 1)
_2024_11_30 = datetime.date(2024, 11, 30)
_2024_12_01 = datetime.date(2024, 12, 1)
_2025_12_31 = datetime.date(2025, 12, 31)
_2026_01_01 = datetime.date(2026, 1, 1)
_23 = "财税〔2016〕23号"
_16 = "财政部 税务总局 住房城乡建设部公告2024年第16号"

SEED = RateTable(
    deed=(
        DeedRate(_2016_02_22, _2024_11_30, 1, D("90"), D("0.01"), _23),
        DeedRate(_2016_02_22, _2024_11_30, 1, None, D("0.015"), _23),
        DeedRate(_2016_02_22, _2024_11_30, 2, None, D("0.03"), _23 + "（北上广深不适用第二套优惠）"),
        DeedRate(_2016_02_22, _2024_11_30, 3, None, D("0.03"), "契税 3% 基准税率（法律依据待确认）", confirmed=False),
        DeedRate(_2024_12_01, FOREVER, 1, D("140"), D("0.01"), _16),
        DeedRate(_2024_12_01, FOREVER, 1, None, D("0.015"), _16),
        DeedRate(_2024_12_01, FOREVER, 2, D("140"), D("0.01"), _16),
        DeedRate(_2024_12_01, FOREVER, 2, None, D("0.02"), _16),
        DeedRate(_2024_12_01, FOREVER, 3, None, D("0.03"), "第三套及以上 3%（待确认）", confirmed=False),
    ),
    vat=(
        VatRule(_2016_05_01, _2024_11_30, D("0.05"), D("0"), D("0.05"), "财税〔2016〕36号 附件3 第五条"),
        VatRule(_2024_12_01, _2025_12_31, D("0.05"), D("0"), D("0"), _16 + "；上海取消普通/非普通住房标准"),
        VatRule(_2026_01_01, FOREVER, D("0.03"), D("0"), D("0"), "财政部 税务总局公告2025年第17号"),
    ),
    income=(
        IncomeTaxRule(_2016_02_22, _2024_11_30, D("0.01"), D("0.02"), "上海核定征收率（媒体报道，待确认）", False),
        IncomeTaxRule(_2024_12_01, FOREVER, D("0.01"), D("0.01"), "上海核定征收率统一为1%（媒体报道，待确认）", False),
    ),
)


@dataclass
class TaxLine:
    tax: str  # deed / vat / income
    payer: str  # buyer / seller
    base: Decimal
    rate: Decimal
    amount: Decimal
    basis: str
    note: str = ""
    confirmed: bool = True


@dataclass
class Estimate:
    on: datetime.date
    lines: list[TaxLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), D("0"))


class OutOfScope(ValueError):
    """The contract date is before the rates this table covers (before 2016-02-22)."""


def _money(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _years_held(acquired: datetime.date, signed: datetime.date) -> int:
    years = signed.year - acquired.year
    if (signed.month, signed.day) < (acquired.month, acquired.day):
        years -= 1
    return years


def _pick(rows, on: datetime.date):  # type: ignore[no-untyped-def]
    return [row for row in rows if row.valid_from <= on <= row.valid_to]


def estimate(tx: Transaction, *, table: RateTable = SEED) -> Estimate:
    """The estimated taxes of ``tx`` under ``table``, by its contract date. Inputs must be valid."""
    on = parse_date(tx.contract.signed_on)
    acquired = parse_date(tx.property.acquired_on)
    price = parse_decimal(tx.contract.price)
    area = parse_decimal(tx.property.area)
    if on is None or acquired is None or price is None or area is None:
        raise ValueError("estimate() needs a validated record")
    result = Estimate(on=on)

    deed_rows = _pick(table.deed, on)
    if not deed_rows:
        raise OutOfScope(f"No deed-tax rate covers {on}")
    rank = min(3, 1 + max((b.family.homes_held for b in tx.buyers), default=0))
    candidates = sorted((r for r in deed_rows if r.home_rank == rank),
                        key=lambda r: r.max_area if r.max_area is not None else D("1e9"))
    deed = next(r for r in candidates if r.max_area is None or area <= r.max_area)
    result.lines.append(TaxLine("deed", "buyer", price, deed.rate, _money(price * deed.rate), deed.basis,
                                note=f"第{rank}套" if rank < 3 else "第3套及以上", confirmed=deed.confirmed))

    held = _years_held(acquired, on)
    vat_rows = _pick(table.vat, on)
    if vat_rows:
        vat = vat_rows[0]
        original = parse_decimal(tx.property.original_price) if tx.property.original_price else None
        if held < 2:
            base, rate, note = price, vat.short_rate, "持有不满2年，全额"
        elif tx.property.housing_class == HousingClass.NON_ORDINARY and vat.long_non_ordinary_rate:
            base = max(D("0"), price - (original or D("0")))
            rate, note = vat.long_non_ordinary_rate, "持有满2年非普通住房，差额"
        else:
            base, rate, note = price, vat.long_ordinary_rate, "持有满2年，免征"
        amount = _money(base / (1 + rate) * rate) if rate else D("0.00")
        result.lines.append(TaxLine("vat", "seller", base, rate, amount, vat.basis, note=note))
    else:
        amount = D("0")

    only_home = all(s.only_family_home for s in tx.sellers) and bool(tx.sellers)
    if held >= 5 and only_home:
        result.lines.append(TaxLine("income", "seller", D("0"), D("0"), D("0.00"), "财税字〔1994〕20号 第二条(六)",
                                    note="满五唯一，免征"))
    elif tx.property.original_price and (original := parse_decimal(tx.property.original_price)):
        gain = max(D("0"), price - original - amount)
        result.lines.append(TaxLine("income", "seller", gain, D("0.2"), _money(gain * D("0.2")),
                                    "国税发〔2006〕108号", note="核实征收：(转让收入−原值−税费)×20%"))
    else:
        rule = _pick(table.income, on)[0]
        rate = (rule.deemed_non_ordinary if tx.property.housing_class == HousingClass.NON_ORDINARY
                else rule.deemed_ordinary)
        result.lines.append(TaxLine("income", "seller", price, rate, _money(price * rate), rule.basis,
                                    note="核定征收", confirmed=rule.confirmed))
    return result
