"""The versioned validation rules and the tax estimate of a housing transaction."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest

from onewindow.core.errors import DomainError
from onewindow.taxqr import record, rules, samples, tax

TODAY = datetime.date(2026, 11, 27)
RULES = rules.current()


def codes(tx: record.Transaction) -> dict[str, str]:
    return {f.path: f.code for f in rules.check(tx, ruleset=RULES, today=TODAY)}


def test_sample_record_is_valid_and_round_trips_through_the_wire_form() -> None:
    tx = samples.transaction()
    assert rules.check(tx, ruleset=RULES, today=TODAY) == []
    wire = record.to_wire(tx)
    assert set(wire) == {"p", "c", "s", "b"}
    assert record.from_wire(wire) == tx
    assert record.transaction_from_dict(tx.to_dict()) == tx


def test_each_rule_reports_its_field_and_code() -> None:
    tx = samples.transaction()
    tx.sellers[0].id_number = tx.sellers[0].id_number[:-1] + ("0" if tx.sellers[0].id_number[-1] != "0" else "1")
    tx.buyers[0].phone = "1234"
    tx.property.certificate_no = "静安 12345"
    tx.property.area = "-3"
    tx.contract.signed_on = (TODAY + datetime.timedelta(days=1)).isoformat()
    tx.contract.agency_credit_code = "91310106MA1FL0000X"
    tx.buyers[0].share = "60"
    assert codes(tx) == {
        "sellers.0.id_number": "id_number_checksum",
        "buyers.0.phone": "mobile_format",
        "property.certificate_no": "certificate_format",
        "property.area": "area_out_of_range",
        "contract.signed_on": "contract_in_future",
        "contract.agency_credit_code": "credit_code_checksum",
        "buyers": "shares_not_100",
    }


def test_acquired_after_contract_is_refused() -> None:
    tx = samples.transaction(signed_on=datetime.date(2017, 7, 20), acquired_on=datetime.date(2018, 1, 1))
    assert codes(tx) == {"property.acquired_on": "holding_period_negative"}


def test_child_who_is_18_on_the_contract_date_is_not_a_minor() -> None:
    tx = samples.transaction()
    signed = datetime.date.fromisoformat(tx.contract.signed_on)
    tx.buyers[0].family.children[0].id_number = samples.resident_id(
        __import__("random").Random(3), born=signed.replace(year=signed.year - 18))
    assert codes(tx) == {"buyers.0.family.children.0.id_number": "child_not_minor"}
    tx.buyers[0].family.children[0].id_number = samples.resident_id(
        __import__("random").Random(3), born=signed.replace(year=signed.year - 18) + datetime.timedelta(days=1))
    assert codes(tx) == {}


def test_implausible_price_is_a_warning_not_an_error() -> None:
    tx = samples.transaction(price="100000")
    findings = rules.check(tx, ruleset=RULES, today=TODAY)
    assert [(f.code, f.severity) for f in findings] == [("price_implausible", rules.WARNING)]
    rules.raise_for_errors(findings)  # warnings do not block


def test_raise_for_errors_lists_every_field() -> None:
    tx = samples.transaction()
    tx.property.area = "abc"
    tx.sellers[0].phone = ""
    with pytest.raises(DomainError) as info:
        rules.raise_for_errors(rules.check(tx, ruleset=RULES, today=TODAY))
    assert info.value.code == "record_invalid"
    assert set(info.value.fields) == {"property.area", "sellers.0.phone"}


def test_missing_section_is_refused_with_its_path() -> None:
    data = samples.transaction().to_dict()
    del data["contract"]["price"]
    with pytest.raises(DomainError) as info:
        record.transaction_from_dict(data)
    assert (info.value.code, list(info.value.fields)) == ("record_incomplete", ["contract.price"])


def test_ruleset_grace_period() -> None:
    assert rules.ruleset_status("2026.1", today=TODAY, grace_days=30).version == "2026.1"
    assert rules.ruleset_status("2024.12", today=datetime.date(2026, 1, 20), grace_days=30).version == "2024.12"
    with pytest.raises(DomainError) as info:
        rules.ruleset_status("2024.12", today=datetime.date(2026, 2, 1), grace_days=30)
    assert info.value.code == "ruleset_expired"
    with pytest.raises(DomainError) as info:
        rules.ruleset_status("1999.9", today=TODAY, grace_days=30)
    assert info.value.code == "ruleset_unknown"


def line(est: tax.Estimate, name: str) -> tuple[Decimal, Decimal, str]:
    found = next(x for x in est.lines if x.tax == name)
    return found.rate, found.amount, found.note


def test_2017_first_home_small_area_held_long_only_home() -> None:
    est = tax.estimate(samples.transaction(area="89.50", price="5200000"))
    assert line(est, "deed") == (Decimal("0.01"), Decimal("52000.00"), "第1套")
    assert line(est, "vat") == (Decimal("0"), Decimal("0.00"), "持有满2年，免征")
    assert line(est, "income")[:2] == (Decimal("0"), Decimal("0.00"))
    assert est.total == Decimal("52000.00")


def test_2017_second_home_pays_3_percent_in_shanghai_and_short_holding_pays_vat() -> None:
    tx = samples.transaction(area="120", price="6000000", homes_held=1, acquired_on=datetime.date(2016, 9, 1))
    est = tax.estimate(tx)
    assert line(est, "deed") == (Decimal("0.03"), Decimal("180000.00"), "第2套")
    # 5 % on the price net of VAT: 6,000,000 / 1.05 × 0.05
    assert line(est, "vat") == (Decimal("0.05"), Decimal("285714.29"), "持有不满2年，全额")
    # No original value: deemed 1 % (ordinary housing, until 2024-11-30).
    assert line(est, "income") == (Decimal("0.01"), Decimal("60000.00"), "核定征收")


def test_2025_second_home_over_140_and_2026_vat_3_percent() -> None:
    tx = samples.transaction(area="150", price="9000000", homes_held=1, signed_on=datetime.date(2025, 6, 1),
                             acquired_on=datetime.date(2024, 1, 1))
    assert line(tax.estimate(tx), "deed") == (Decimal("0.02"), Decimal("180000.00"), "第2套")
    assert line(tax.estimate(tx), "vat")[0] == Decimal("0.05")
    tx2 = samples.transaction(area="150", price="9000000", signed_on=datetime.date(2026, 3, 1),
                              acquired_on=datetime.date(2025, 1, 1))
    assert line(tax.estimate(tx2), "vat") == (Decimal("0.03"), Decimal("262135.92"), "持有不满2年，全额")
    assert line(tax.estimate(tx2), "deed") == (Decimal("0.015"), Decimal("135000.00"), "第1套")


def test_income_tax_on_proven_gain_and_non_ordinary_difference_vat_before_2024_12() -> None:
    tx = samples.transaction(price="8000000", signed_on=datetime.date(2020, 5, 1),
                             acquired_on=datetime.date(2017, 1, 1))
    tx.property.original_price = "5000000"
    tx.property.housing_class = record.HousingClass.NON_ORDINARY
    est = tax.estimate(tx)
    vat_rate, vat_amount, _ = line(est, "vat")
    assert (vat_rate, vat_amount) == (Decimal("0.05"), Decimal("142857.14"))  # 3,000,000/1.05×0.05
    assert line(est, "income") == (Decimal("0.2"), Decimal("571428.57"), "核实征收：(转让收入−原值−税费)×20%")


def test_dates_before_the_tables_are_out_of_scope() -> None:
    with pytest.raises(tax.OutOfScope):
        tax.estimate(samples.transaction(signed_on=datetime.date(2015, 1, 5), acquired_on=datetime.date(2010, 1, 1)))


def test_seed_marks_unconfirmed_rows() -> None:
    assert [r.rate for r in tax.SEED.deed if not r.confirmed] == [Decimal("0.03"), Decimal("0.03")]
    assert all(not r.confirmed for r in tax.SEED.income)
    assert dataclasses.is_dataclass(tax.SEED)
