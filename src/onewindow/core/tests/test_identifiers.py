"""Resident ID numbers (GB 11643-1999), credit codes (GB 32100-2015), mobiles, and masking."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from onewindow.core.errors import DomainError
from onewindow.core.identifiers import (
    credit_code_validator,
    mobile_validator,
    resident_id_validator,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)
from onewindow.core.masking import mask_id_number, mask_phone

# Independent implementations of the check characters, written from DOMAIN.md §5.3 and §7.
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def id_check(body17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def uscc_check(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


address_codes = st.sampled_from(["310101", "310106", "310108", "310115", "110101", "440305", "650102"])
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def resident_ids(draw):
    body = f"{draw(address_codes)}{draw(birth_dates):%Y%m%d}{draw(sequences):03d}"
    return body + id_check(body)


@st.composite
def credit_codes(draw):
    head = draw(st.sampled_from("159Y")) + draw(st.sampled_from("1239"))
    region = draw(st.sampled_from(["310000", "310106", "110108", "440300"]))
    org = "".join(draw(st.lists(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9)))
    body = head + region + org
    return body + uscc_check(body)


def code_of(call):
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


@given(resident_ids())
def test_valid_resident_ids_are_accepted_with_birth_date_and_gender(number):
    checked = validate_resident_id(number)
    assert checked.number == number
    assert checked.birth_date == datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert checked.gender == ("male" if int(number[16]) % 2 else "female")
    assert checked.address_code == number[:6]


@given(resident_ids(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_character_change_of_an_id_is_refused(number, position, replacement):
    assume(number[position] != replacement)
    changed = number[:position] + replacement + number[position + 1:]
    assert code_of(lambda: validate_resident_id(changed)) in {
        "id_number_checksum", "id_number_format", "id_number_birth_date"}


@given(resident_ids())
def test_lower_case_x_and_separators_are_normalised(number):
    spaced = f"{number[:6]} {number[6:14]}-{number[14:]}".lower()
    assert validate_resident_id(spaced).number == number


def test_legacy_15_digit_number_is_converted():
    checked = validate_resident_id("310108850101123")
    body = "31010819850101123"
    assert checked.number == body + id_check(body)
    assert checked.birth_date == datetime.date(1985, 1, 1)
    assert checked.gender == "male"
    assert checked.address_code == "310108"  # 闸北区: no longer exists, still accepted (DOMAIN.md §7)


@pytest.mark.parametrize(("value", "code"), [
    ("", "id_number_format"),
    ("31010119900101123", "id_number_format"),
    ("3101011990010112345", "id_number_format"),
    ("31010119900101123A", "id_number_format"),
    ("310101199001011230", "id_number_checksum"),
    ("010101199001011231", "id_number_format"),
])
def test_resident_id_refusals_have_specific_codes(value, code):
    body = value[:17]
    if code == "id_number_format" and value.startswith("0"):
        value = body + id_check(body)
    assert code_of(lambda: validate_resident_id(value)) == code


@pytest.mark.parametrize("birth", ["19900230", "19901301", "20991231", "18700101"])
def test_impossible_birth_dates_are_refused(birth):
    body = "310101" + birth + "123"
    assert code_of(lambda: validate_resident_id(body + id_check(body))) == "id_number_birth_date"


def test_refusal_names_the_field_and_speaks_chinese_and_english():
    with pytest.raises(DomainError) as info:
        validate_resident_id("310101199001011230", field="applicant_id")
    with translation.override("zh-hans"):
        assert info.value.as_dict() == {"code": "id_number_checksum",
                                        "message": "身份证号码校验位错误，请核对后重新输入",
                                        "fields": {"applicant_id": ["身份证号码校验位错误，请核对后重新输入"]}}
    assert info.value.status == 400
    with translation.override("en"):
        assert info.value.as_dict()["message"] == (
            "The check digit of the resident ID number is wrong; please check and enter it again")


@given(credit_codes())
def test_valid_credit_codes_are_accepted(code):
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@given(credit_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET + "IOSVZ"))
def test_any_single_character_change_of_a_credit_code_is_refused(code, position, replacement):
    assume(code[position] != replacement)
    changed = code[:position] + replacement + code[position + 1:]
    assert code_of(lambda: validate_credit_code(changed)) in {"credit_code_checksum", "credit_code_format"}


@pytest.mark.parametrize(("value", "code"), [
    ("91310000MA1FL0000X", "credit_code_checksum"),
    ("9131000O132203715U", "credit_code_format"),
    ("91310000132203715", "credit_code_format"),
    ("91A10000132203715U", "credit_code_format"),
])
def test_credit_code_refusals(value, code):
    assert code_of(lambda: validate_credit_code(value)) == code


def test_known_credit_code():
    assert validate_credit_code("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize(("value", "normal"), [
    ("13812345678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("86-138-1234-5678", "13812345678"),
    ("0086 19912345678", "19912345678"),
])
def test_mobiles_are_normalised(value, normal):
    assert validate_mobile(value) == normal


@pytest.mark.parametrize("value", ["", "12812345678", "1381234567", "138123456789", "+1 4155550100",
                                   "021-12345678", "1381234567a"])
def test_bad_mobiles_are_refused(value):
    assert code_of(lambda: validate_mobile(value)) == "mobile_format"


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))  # ASCII digits: another script's are refused
def test_any_mainland_mobile_is_accepted(number):
    assert validate_mobile(number) == number
    assert validate_mobile("+86" + number) == number


def test_django_validators_raise_validation_errors_with_the_code():
    class Form(forms.Form):
        id_number = forms.CharField(validators=[resident_id_validator])
        credit_code = forms.CharField(validators=[credit_code_validator])
        mobile = forms.CharField(validators=[mobile_validator])

    with translation.override("zh-hans"):
        form = Form(data={"id_number": "310101199001011230", "credit_code": "91110000600037341L",
                          "mobile": "123"})
        assert not form.is_valid()
        assert form.errors.as_data()["id_number"][0].code == "id_number_checksum"
        assert form.errors["mobile"] == ["手机号码应为以1开头的11位数字"]
        assert "credit_code" not in form.errors
    with pytest.raises(ValidationError):
        credit_code_validator("91110000600037341X")


@given(st.text(alphabet="0123456789X", min_size=8, max_size=30))
def test_id_masking_keeps_length_and_only_first_3_last_4(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked[:3] == value[:3]
    assert masked[-4:] == value[-4:]
    assert set(masked[3:-4]) <= {"*"}


@given(st.text(alphabet="0123456789", min_size=0, max_size=7))
def test_short_values_are_fully_masked(value):
    assert mask_id_number(value) == "*" * len(value)
    assert mask_phone(value) == "*" * len(value)


@given(st.from_regex(r"\A1[3-9]\d{9}\Z"))
def test_phone_masking(number):
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


def test_masking_examples_of_the_issue():
    assert mask_id_number("31010119900101123X") == "310***********123X"
    assert mask_phone("13812345678") == "138****5678"
