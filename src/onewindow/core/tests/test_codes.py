"""The one id parser and the one random-code generator (issue #10 part 4)."""

from __future__ import annotations

import pytest

from onewindow.core.codes import MAX_ID, UNAMBIGUOUS, as_id, random_code


@pytest.mark.parametrize(("value", "expected"), [
    (7, 7), ("42", 42), (" 42 ", 42), (None, 0), ("", 0), ("abc", 0), ("1.5", 0), ([], 0), ("-3", 0), (0, 0),
    (MAX_ID, MAX_ID), (MAX_ID + 1, 0), ("9" * 40, 0), (float("inf"), 0),
])
def test_as_id_gives_a_row_id_or_zero(value: object, expected: int) -> None:
    assert as_id(value) == expected


@pytest.mark.parametrize(("alphabet", "length"),
                         [(UNAMBIGUOUS, 10), (UNAMBIGUOUS, 8), ("abcdefghijklmnopqrstuvwxyz234567", 16)])
def test_random_code_uses_only_the_alphabet_and_the_length(alphabet: str, length: int) -> None:
    codes = {random_code(alphabet, length) for _ in range(50)}
    assert all(len(code) == length and set(code) <= set(alphabet) for code in codes)
    assert len(codes) == 50
    assert not set("01OI") & set(UNAMBIGUOUS)
