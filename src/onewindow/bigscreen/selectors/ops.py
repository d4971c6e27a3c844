"""What the operator's page shows (issue #16 part 5): the emergency messages, the big screens with
their panels and when each was last seen, and the crowd sources with their latest bucket and the
"数据延迟" flag (a source that stops sending is shown late, never drawn as zero: issue #16 part 2).

Operators only (``permissions.require_operator``). A constant number of queries each.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from onewindow.core.actors import Actor

from .. import permissions
from ..choices import Panel
from ..models import Area, EmergencyMessage, Screen, Source

EMERGENCY_ROWS = 20


@dataclass(frozen=True)
class SourceRow:
    source: Source
    last_bucket_end: datetime.datetime | None
    late: bool


@dataclass(frozen=True)
class ScreenRow:
    screen: Screen
    panels: list[tuple[str, str]]  # (code, label) in rotation order
    last_seen_at: datetime.datetime | None
    center: str


def is_live(message: EmergencyMessage, now: datetime.datetime) -> bool:
    return message.cleared_at is None and message.starts_at <= now and (message.ends_at is None
                                                                           or message.ends_at > now)


def emergency_list_for(by: Actor, *, limit: int = EMERGENCY_ROWS) -> list[EmergencyMessage]:
    """The latest emergency messages, newest first (one query)."""
    permissions.require_operator(by)
    return list(EmergencyMessage.objects.select_related("created_by", "cleared_by").order_by("-created_at", "-pk")
                [:limit])


def panel_labels(codes: list[Any]) -> list[tuple[str, str]]:
    labels = dict(Panel.choices)
    return [(str(c), str(labels.get(str(c), c))) for c in codes]


def screen_list_for(by: Actor) -> list[ScreenRow]:
    """Every big screen with its device's last-seen time and center (one query)."""
    permissions.require_operator(by)
    screens = Screen.objects.select_related("area", "device__center").order_by("name", "pk")
    return [ScreenRow(screen=s, panels=panel_labels(list(s.panels)), last_seen_at=s.device.last_seen_at,
                      center=str(s.device.center)) for s in screens]


def source_late(source: Source, area: Area, now: datetime.datetime) -> bool:
    """数据延迟: an active source with no bucket yet, or whose latest bucket ended more than the
    area's ``stale_minutes`` ago."""
    if not source.is_active:
        return False
    if source.last_bucket_start is None:
        return True
    end = source.last_bucket_start + datetime.timedelta(minutes=area.bucket_minutes)
    return end < now - datetime.timedelta(minutes=area.stale_minutes)


def source_list_for(by: Actor, *, now: datetime.datetime | None = None) -> list[SourceRow]:
    """The crowd sources of every area with their latest bucket and the late flag (one query)."""
    permissions.require_operator(by)
    now = now or timezone.now()
    rows = []
    for source in Source.objects.select_related("area").order_by("area__code", "name", "pk"):
        end = (source.last_bucket_start + datetime.timedelta(minutes=source.area.bucket_minutes)
               if source.last_bucket_start else None)
        rows.append(SourceRow(source=source, last_bucket_end=end, late=source_late(source, source.area, now)))
    return rows


def area_choices() -> list[tuple[str, str]]:
    """The active areas (code, name) a screen may show."""
    return [(a.code, a.name) for a in Area.objects.filter(is_active=True).order_by("code")]
