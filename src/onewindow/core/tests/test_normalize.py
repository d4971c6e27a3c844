"""core.normalize: full-width digits, letters, hyphens and spaces folded to ASCII (issue #9)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel

from onewindow.core.identifiers import IdentifierError, validate_credit_code, validate_mobile, validate_resident_id
from onewindow.core.normalize import (
    NfkcCharField,
    NfkcDecimal,
    NfkcDecimalField,
    NfkcInt,
    NfkcIntegerField,
    NfkcStr,
    has_invalid_characters,
    nfkc,
    nfkc_number,
)


@pytest.mark.parametrize(("typed", "expected"), [
    ("１２３", "123"), ("　ＡＢ１２　", "AB12"), ("０２１－６２３４５６７８", "021-62345678"),
    ("021–6234—5678", "021-6234-5678"), ("Ａ　Ｂ", "A B"), ("abc", "abc"), ("", ""),
])
def test_nfkc_folds_full_width_and_dashes(typed: str, expected: str) -> None:
    assert nfkc(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("１２３．５", "123.5"), ("１２３。５", "123.5"), (" １ ２３４ ", "1234"), ("－５", "-5"), ("12", "12"),
])
def test_nfkc_number_reads_what_an_input_method_types(typed: str, expected: str) -> None:
    assert nfkc_number(typed) == expected


def test_identifier_validators_return_ascii_for_full_width_input() -> None:
    assert validate_mobile("＋８６ １３８－１２３４－５６７８") == "13812345678"
    assert validate_resident_id("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_digits_of_another_script_are_refused_not_stored() -> None:
    with pytest.raises(IdentifierError):
        validate_mobile("١٣٨١٢٣٤٥٦٧٨")  # Arabic-Indic digits: NFKC keeps them, the check is ASCII


class Payload(BaseModel):
    count: NfkcInt
    amount: NfkcDecimal
    code: NfkcStr
    optional: NfkcInt | None = None


def test_schema_types_normalize_before_validation() -> None:
    payload = Payload.model_validate({"count": "１２", "amount": "８８。５", "code": "　Ａ１－２ ", "optional": "３"})
    assert (payload.count, payload.amount, payload.code, payload.optional) == (12, Decimal("88.5"), "A1-2", 3)
    assert Payload.model_validate({"count": 12, "amount": 1, "code": "x"}).count == 12


def test_form_fields_normalize_before_validation() -> None:
    assert NfkcIntegerField().clean("２０") == 20
    assert NfkcDecimalField(decimal_places=2).clean("１２。５０") == Decimal("12.50")
    assert NfkcCharField().clean("　ＡＢ１２　") == "AB12"


def test_free_text_may_hold_line_breaks_but_no_control_characters() -> None:
    assert has_invalid_characters("第一行\n第二行\r\n\t缩进") is False
    for bad in ("a\x00b", "\x1b[31m", "a\x7f", "\ud800", "\ue000"):
        assert has_invalid_characters(bad) is True, repr(bad)
