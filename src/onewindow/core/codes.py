"""Ids and random codes from one place: the id parser for ids typed in URLs and forms, and the
generator of the random codes people read aloud or type (query codes, booking codes, ticket
status codes, person references, one-time recovery codes).

Each caller passes its own alphabet and length (they differ on purpose: a 10-character query code,
an 8-character booking code, a 16-character base-32 person reference). The codes come from
:mod:`secrets` (OWASP ASVS 5.0 V11: a CSPRNG for every value that must not be guessed).
"""

from __future__ import annotations

import secrets
from typing import Any

#: Upper-case letters and digits without 0/O, 1/I: codes that are read aloud and typed by hand.
UNAMBIGUOUS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

#: The largest row id the database stores (a bigint); anything larger matches nothing.
MAX_ID = 2**63 - 1


def as_id(value: Any) -> int:
    """A row id from user input; 0 (which matches no row) for anything that is not an integer in
    the database's range, so that a malformed id is simply "not found", never a 500."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if 0 < number <= MAX_ID else 0


def random_code(alphabet: str, length: int) -> str:
    """``length`` characters drawn uniformly and independently from ``alphabet`` with :mod:`secrets`."""
    return "".join(secrets.choice(alphabet) for _ in range(length))
