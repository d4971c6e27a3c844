"""Valid sample identifiers for demo data and tests (never for real people).

Check characters are computed with python-stdnum, per GB 11643-1999 (resident ID, ISO 7064
MOD 11-2) and GB 32100-2015 (credit code; the embedded organization code per GB 11714).
Validation itself lives in core.identifiers.
"""

from __future__ import annotations

import datetime
import random

from stdnum.cn import ric, uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def sample_resident_id(region_code: str, birth: datetime.date, serial: int, *, female: bool = False) -> str:
    """An 18-character resident ID number: address, birth date, sequence (odd male), check."""
    seq = (serial * 2 + (0 if female else 1)) % 1000
    body = f"{region_code}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 characters only


def sample_credit_code(region_code: str, rng: random.Random, kind: str = "91") -> str:
    """An 18-character unified social credit code for ``region_code`` (e.g. 91 = enterprise)."""
    org = "".join(rng.choice(USCC_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(org, weights, strict=True)) % 11
    body = f"{kind}{region_code}{org}{ {10: 'X', 11: '0'}.get(check, str(check)) }"
    return body + uscc.calc_check_digit(body)


def sample_mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
