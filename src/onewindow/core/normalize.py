"""What people type into numeric and identifier fields, in one form: NFKC, ASCII digits and hyphens.

A Chinese input method in full-width mode types ``１２３``, ``－`` and the ideographic space ``　``.
Python's ``int()`` and ``Decimal()`` read full-width digits, but a string kept as typed does not
compare equal to its ASCII twin: a tax correction of ``１２３`` stored 123 in the amount column and
``"１２３"`` in the record (issue #9). Every numeric input and every identifier (ID numbers, phone
numbers, credit codes, query and appointment codes) therefore goes through one helper here, in
forms (the ``Nfkc*Field`` classes), API schemas (the ``Nfkc*`` annotated types) and services.

Unicode NFKC (Unicode Standard Annex #15) folds full-width letters, digits, signs and spaces to
their ASCII forms; the dashes that NFKC leaves alone (‐ ‑ ‒ – — ― −) become ``-``. Free text (names,
addresses, reasons) is never normalized this way: NFKC would change Chinese punctuation.

Legal basis: OWASP ASVS 5.0 V2 Validation and Business Logic (input canonicalized before it is
validated); GB/T 22239-2019 (等保2.0 三级) 数据完整性.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from django import forms
from pydantic import BeforeValidator

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
#: In a number, the ideographic full stop is the decimal point a Chinese input method types.
_NUMBER_MARKS = str.maketrans({"\u3002": "."})


def nfkc(value: str) -> str:
    """An identifier or code as ASCII where it has an ASCII form: NFKC, dashes as ``-``, trimmed.

    ``"　３１０１０１－１９９０　"`` → ``"310101-1990"``. Inner spaces are kept (one space each);
    the identifier validators decide whether spaces and hyphens are allowed.
    """
    text = unicodedata.normalize("NFKC", value).translate(_DASHES)
    return " ".join(text.split())


def nfkc_number(value: str) -> str:
    """A typed number as ASCII with no spaces: ``"１２３．５"`` and ``"１２３。５"`` → ``"123.5"``."""
    return "".join(nfkc(value).translate(_NUMBER_MARKS).split())


def has_invalid_characters(text: str) -> bool:
    """Whether free text holds a character nobody types: a control character other than tab and
    line breaks (NUL above all: PostgreSQL cannot store it in text), a lone surrogate or a
    private-use character. Callers refuse such text with a stable code instead of a 500."""
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\t\n\r" for ch in text)


def _before_text(value: Any) -> Any:
    return nfkc(value) if isinstance(value, str) else value


def _before_number(value: Any) -> Any:
    return nfkc_number(value) if isinstance(value, str) else value


#: API schema types (pydantic): the value is normalized before it is validated.
NfkcStr = Annotated[str, BeforeValidator(_before_text)]
NfkcInt = Annotated[int, BeforeValidator(_before_number)]
NfkcDecimal = Annotated[Decimal, BeforeValidator(_before_number)]
NfkcFloat = Annotated[float, BeforeValidator(_before_number)]

#: The normalizing functions, for tests that check a field uses one.
NORMALIZERS = (_before_text, _before_number)


class NfkcCharField(forms.CharField):
    """A form field for an identifier or code (ID number, phone, credit code): NFKC before validation."""

    def to_python(self, value: Any) -> Any:
        return super().to_python(_before_text(value))


class NfkcIntegerField(forms.IntegerField):
    """A form field for a whole number typed by a person: full-width digits are read as ASCII."""

    def to_python(self, value: Any) -> Any:
        return super().to_python(_before_number(value))


class NfkcDecimalField(forms.DecimalField):
    """A form field for an amount or an area typed by a person: full-width digits, ``。`` as the point."""

    def to_python(self, value: Any) -> Any:
        return super().to_python(_before_number(value))
