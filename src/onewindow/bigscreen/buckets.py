"""Time buckets of crowd counts (issue #16 part 2): the grid every report's ``bucket_start`` must
sit on, and the clock-skew rule.

- The grid: every bucket of an area starts on a multiple of ``bucket_minutes`` counted from
  midnight, Asia/Shanghai (``settings.TIME_ZONE``), whatever offset the sender wrote: a bucket
  sent as ``04:55:00Z`` is the bucket ``12:55:00+08:00``. A naive timestamp (no offset) is read
  as Shanghai time. Sub-second fractions are dropped (snapped down to the whole second: a feed's
  ``12:55:00.400`` is the bucket 12:55); whole seconds or minutes off the grid are refused
  (``crowd_bucket_misaligned``), never rounded, since a rounded bucket could overwrite its
  neighbour's counts.
- The future: a bucket whose END is later than now + ``BIGSCREEN_SKEW_SECONDS`` (120 s) is
  refused (``crowd_bucket_future``); up to that skew it is accepted — the source's clock runs
  ahead of ours ("a bucket timestamp up to 2 minutes in the future (clock skew) is accepted and
  aligned", issue #16 part 2). The accepted instant is the aware Shanghai grid instant.
- Buckets of a year before :data:`EARLIEST` are refused (``crowd_bucket_too_old``): no feed of this kind
  existed then, and a year-1 timestamp would overflow the arithmetic below.

Pure functions (no database): the ingest service and the CSV backfill call :func:`bucket_align`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
FIELD = "bucket_start"


def local_zone() -> zoneinfo.ZoneInfo:
    """The zone of the grid: the installation's TIME_ZONE (Asia/Shanghai)."""
    return zoneinfo.ZoneInfo(str(settings.TIME_ZONE))


def skew() -> datetime.timedelta:
    """How far a source's clock may run ahead of ours (BIGSCREEN_SKEW_SECONDS, default 120 s)."""
    return datetime.timedelta(seconds=int(getattr(settings, "BIGSCREEN_SKEW_SECONDS", 120)))


def _refuse(code: str, message: Any, field: str) -> DomainError:
    return DomainError(_("时段不正确。"), code=code, status=422, fields={field: [message]})


def bucket_parse(value: Any, *, field: str = FIELD) -> datetime.datetime:
    """An ISO 8601 text or a datetime as an aware instant in the grid's zone, sub-second fraction
    dropped; ``crowd_bucket_invalid`` (422) for anything else. A naive value is Shanghai time."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str) and 10 <= len(value.strip()) <= 40:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise _refuse("crowd_bucket_invalid", _("请输入有效时间（ISO 8601，如 2026-03-02T12:55:00+08:00）。"),
                          field) from None
    else:
        raise _refuse("crowd_bucket_invalid", _("请输入有效时间（ISO 8601，如 2026-03-02T12:55:00+08:00）。"), field)
    zone = local_zone()
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    if moment.year < EARLIEST.year:
        raise _refuse("crowd_bucket_too_old", _("时段早于 2000 年，不予接收。"), field)
    try:
        return moment.astimezone(zone).replace(microsecond=0)
    except (OverflowError, ValueError):  # the last hours of year 9999 in another offset
        raise _refuse("crowd_bucket_invalid", _("请输入有效时间（ISO 8601，如 2026-03-02T12:55:00+08:00）。"),
                      field) from None


def is_aligned(moment: datetime.datetime, bucket_minutes: int) -> bool:
    """True when ``moment`` (aware) starts a bucket: whole minutes, a multiple of ``bucket_minutes``
    from midnight in the grid's zone."""
    local = moment.astimezone(local_zone())
    return local.second == 0 and local.microsecond == 0 and (local.hour * 60 + local.minute) % bucket_minutes == 0


def bucket_floor(moment: datetime.datetime, bucket_minutes: int) -> datetime.datetime:
    """The start of the bucket that contains ``moment`` (aware), in the grid's zone."""
    local = moment.astimezone(local_zone())
    minutes = local.hour * 60 + local.minute
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(
        minutes=minutes - minutes % bucket_minutes)


def bucket_end(start: datetime.datetime, bucket_minutes: int) -> datetime.datetime:
    return start + datetime.timedelta(minutes=bucket_minutes)


def bucket_align(value: Any, *, bucket_minutes: int, now: datetime.datetime,
                 field: str = FIELD) -> datetime.datetime:
    """The accepted bucket start for ``value``: parsed (:func:`bucket_parse`), on the grid
    (``crowd_bucket_misaligned``), and ending no later than ``now`` + skew (``crowd_bucket_future``).
    All refusals are 422 naming ``field``."""
    start = bucket_parse(value, field=field)
    if not is_aligned(start, bucket_minutes):
        raise _refuse("crowd_bucket_misaligned",
                      _("时段开始时间须为从零点起每 %(n)s 分钟的整点（如 12:55:00）。") % {"n": bucket_minutes}, field)
    latest = now + skew()
    if start >= latest or bucket_end(start, bucket_minutes) > latest:  # (the first test: no overflow in 9999)
        message = _("该时段尚未结束（超出允许的时钟偏差 %(s)s 秒），不予接收。") % {"s": int(skew().total_seconds())}
        raise _refuse("crowd_bucket_future", message, field)
    return start


def bucket_iso(moment: datetime.datetime) -> str:
    """ISO 8601 with the grid zone's offset (``2026-03-02T12:55:00+08:00``), as the payloads carry."""
    return moment.astimezone(local_zone()).isoformat()
