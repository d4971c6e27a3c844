"""The configurable limits of the public devices (decision 0008), read from settings with defaults.

Counting is done on the rows themselves (tickets, phone checks) in the database, inside the
writing transaction: every worker process and app server sees the same counts, whatever the cache
backend, and a refusal writes nothing.

- ``CENTERS_TAKE_LIMITS``: tickets per device and per typed phone number, ``{"device": [count,
  seconds], "phone": [count, seconds]}`` (default 60 per device in 10 minutes, 3 per number an
  hour); refused with 429 ``device_rate_limited`` / ``phone_rate_limited``.
- ``CENTERS_PHONE_CODE_LIMITS``: one-time codes sent per number and per device (default 3 per
  number and 30 per device an hour; beyond them the ticket is still taken, without SMS);
  ``CENTERS_PHONE_CODE_SECONDS`` (600) how long a code is valid, ``CENTERS_PHONE_CODE_ATTEMPTS``
  (5) wrong entries before the code is spent.
- ``CENTERS_FLOOD``: the manager's flooding list — devices and numbers with at least ``device`` /
  ``phone`` tickets in the last ``minutes`` (default 100 / 3 in 60).
- ``CENTERS_BOOKING_HORIZON_DAYS``: how far ahead appointments may be booked (default 14 days,
  today included) — one rule for the booking pages, the API and the booking services.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings

DEFAULT_TAKE_LIMITS: dict[str, tuple[int, int]] = {"device": (60, 600), "phone": (3, 3600)}
DEFAULT_CODE_LIMITS: dict[str, tuple[int, int]] = {"device": (30, 3600), "phone": (3, 3600)}
DEFAULT_FLOOD: dict[str, int] = {"minutes": 60, "device": 100, "phone": 3}


def _pair(table: dict[str, Any], defaults: dict[str, tuple[int, int]], key: str) -> tuple[int, int]:
    value = table.get(key) or defaults[key]
    return int(value[0]), int(value[1])


def take_limit(key: str) -> tuple[int, int]:
    """(count, seconds) of ticket taking per ``device`` or ``phone``."""
    return _pair(getattr(settings, "CENTERS_TAKE_LIMITS", None) or {}, DEFAULT_TAKE_LIMITS, key)


def code_limit(key: str) -> tuple[int, int]:
    """(count, seconds) of one-time codes sent per ``device`` or ``phone``."""
    return _pair(getattr(settings, "CENTERS_PHONE_CODE_LIMITS", None) or {}, DEFAULT_CODE_LIMITS, key)


def code_seconds() -> int:
    return int(getattr(settings, "CENTERS_PHONE_CODE_SECONDS", 600))


def code_attempts() -> int:
    return int(getattr(settings, "CENTERS_PHONE_CODE_ATTEMPTS", 5))


def flood(key: str) -> int:
    """``minutes`` of the flooding window, or the ``device`` / ``phone`` threshold in it."""
    table = getattr(settings, "CENTERS_FLOOD", None) or {}
    return int(table.get(key, DEFAULT_FLOOD[key]))


# ---- the booking horizon (可预约期) ----------------------------------------------------------------
# One rule for the booking page, the API's slot list and the booking services (issue #10 part 3):
# a slot can be booked on the next CENTERS_BOOKING_HORIZON_DAYS days, today included (default 14:
# two weeks, the usual period of Shanghai's community centers' 网上预约; local practice, DOMAIN.md
# has no national figure). The booking and change services refuse a slot beyond it (422
# slot_beyond_horizon), the selector of open slots lists nothing beyond it.
DEFAULT_BOOKING_HORIZON_DAYS = 14


def booking_horizon_days() -> int:
    """The number of days, today included, on which a slot may be booked (at least 1)."""
    return max(1, int(getattr(settings, "CENTERS_BOOKING_HORIZON_DAYS", DEFAULT_BOOKING_HORIZON_DAYS)))


def booking_last_day(today: datetime.date) -> datetime.date:
    """The last day whose slots may be booked on ``today``."""
    return today + datetime.timedelta(days=booking_horizon_days() - 1)
