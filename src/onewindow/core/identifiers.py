"""Validation of the identifiers people type: resident ID numbers, credit codes, mobile numbers.

Each validator first folds what an input method typed in full width to ASCII (``core.normalize``:
``１３８－１２３４－５６７８`` is ``13812345678``), then returns the normalised value (or a small
record of it) and raises :class:`~onewindow.core.errors.DomainError` with a stable code, the field
name and a message in the request's language; the ``*_validator`` functions wrap them for Django
forms and models.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from .errors import DomainError
from .normalize import nfkc


class IdentifierError(DomainError):
    """A refused identifier; ``code`` says what is wrong, ``fields`` which field it was."""

    status = 400


def _fail(code: str, message: str | Promise, field: str) -> IdentifierError:
    return IdentifierError(message, code=code, fields={field: [message]})


class Gender:
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True)
class ResidentId:
    """A checked resident ID number (居民身份证号码) and what it encodes."""

    number: str
    birth_date: datetime.date
    gender: str
    address_code: str


_ID_15 = re.compile(r"^\d{15}$", re.ASCII)
_ID_18 = re.compile(r"^\d{17}[\dX]$", re.ASCII)


def validate_resident_id(value: str, *, field: str = "id_number") -> ResidentId:
    """Check a resident ID number per GB 11643-1999 (公民身份号码) and return it in 18 digits.

    Rule (DOMAIN.md §7): 6 address digits, an 8-digit birth date, 3 sequence digits (odd male,
    even female) and an ISO 7064 MOD 11-2 check character (python-stdnum ``cn.ric``). A legacy
    15-digit number (2-digit year, no check character) is converted by inserting ``19`` and
    computing the check character. An address code is never refused because its district no
    longer exists (闸北 310108 merged into 静安 in 2015): only its form is checked.
    Refusals: ``id_number_format``, ``id_number_checksum``, ``id_number_birth_date``.
    """
    number = re.sub(r"[\s-]", "", nfkc(str(value or ""))).upper()
    if _ID_15.match(number):
        body = number[:6] + "19" + number[6:]
        number = body + ric.calc_check_digit(body + "0")
    elif not _ID_18.match(number):
        raise _fail("id_number_format", _("身份证号码应为18位（最后一位可为X）或15位数字"), field)
    elif number[-1] != ric.calc_check_digit(number):
        raise _fail("id_number_checksum", _("身份证号码校验位错误，请核对后重新输入"), field)
    if number[0] == "0":
        raise _fail("id_number_format", _("身份证号码的地址码无效"), field)
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise _fail("id_number_birth_date", _("身份证号码中的出生日期无效"), field) from None
    if birth > timezone.localdate() or birth.year < 1880:
        raise _fail("id_number_birth_date", _("身份证号码中的出生日期无效"), field)
    gender = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    return ResidentId(number=number, birth_date=birth, gender=gender, address_code=number[:6])


_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def validate_credit_code(value: str, *, field: str = "credit_code") -> str:
    """Check a unified social credit code (统一社会信用代码) per GB 32100-2015; return it upper-case.

    Rule (DOMAIN.md §5.3): 18 characters from the 31-symbol set (0-9, A-Y without I, O, S, V, Z);
    characters 3–8 are the registering authority's division code (digits); the last is the
    GB/T 17710 check character (``cn.uscc.calc_check_digit`` of python-stdnum). The first
    character is not limited to 1/5/9 (``stdnum``'s ``validate`` refuses a leading ``Y`` (其他),
    which the standard allows, so only its check-digit function is used).
    Refusals: ``credit_code_format``, ``credit_code_checksum``.
    """
    code = re.sub(r"[\s-]", "", nfkc(str(value or ""))).upper()
    if not _USCC.match(code):
        raise _fail("credit_code_format",
                    _("统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）"), field)
    if not code[2:8].isdigit():
        raise _fail("credit_code_format", _("统一社会信用代码第3至8位应为行政区划代码"), field)
    if code[-1] != uscc.calc_check_digit(code):
        raise _fail("credit_code_checksum", _("统一社会信用代码校验位错误，请核对后重新输入"), field)
    return code


_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)


def validate_mobile(value: str, *, field: str = "mobile") -> str:
    """Check a mainland China mobile number and return its 11 digits (手机号码).

    Accepts ``+86``/``86``/``0086`` prefixes, spaces and hyphens: ``+86 138-1234-5678`` →
    ``13812345678``. Mainland numbers are 11 digits starting 13–19 (工信部 numbering plan).
    Refusal: ``mobile_format``.
    """
    digits = re.sub(r"[\s\-()]", "", nfkc(str(value or "")))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.match(digits):
        raise _fail("mobile_format", _("手机号码应为以1开头的11位数字"), field)
    return digits


def _as_validation_error(exc: DomainError) -> ValidationError:
    return ValidationError(str(exc.message), code=exc.code)


def resident_id_validator(value: Any) -> None:
    """Django form/model validator for resident ID numbers."""
    try:
        validate_resident_id(value)
    except DomainError as exc:
        raise _as_validation_error(exc) from None


def credit_code_validator(value: Any) -> None:
    """Django form/model validator for unified social credit codes."""
    try:
        validate_credit_code(value)
    except DomainError as exc:
        raise _as_validation_error(exc) from None


def mobile_validator(value: Any) -> None:
    """Django form/model validator for mainland mobile numbers."""
    try:
        validate_mobile(value)
    except DomainError as exc:
        raise _as_validation_error(exc) from None
