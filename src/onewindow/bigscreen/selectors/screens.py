"""Reads about screens and the emergency message (issue #16 parts 5 and 6).

``active_emergency`` is what the push layer (bigscreen/broadcast.py) puts into every channel's
envelope, so one operator message reaches every open screen with the next push;
``screen_of_device`` tells the stream views whether a bound browser is a big screen.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ..models import EmergencyMessage, Screen


def iso(moment: datetime.datetime | None) -> str | None:
    """A datetime as the payloads carry it: ISO 8601 in Shanghai time (+08:00), to the second."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def active_emergency(now: datetime.datetime | None = None) -> dict[str, Any] | None:
    """The emergency message (紧急通告) live at ``now``, as the envelope carries it, or None.

    Live: started, not ended, not cleared. At most one is live by the operator's service (a new one
    clears the earlier); should two overlap anyway, the newest wins. One query.
    """
    now = now or timezone.now()
    message = (EmergencyMessage.objects
               .filter(starts_at__lte=now, cleared_at__isnull=True)
               .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
               .order_by("-starts_at", "-id").first())
    if message is None:
        return None
    return {"id": message.pk, "text": message.text, "text_en": message.text_en,
            "severity": message.severity, "since": iso(message.starts_at)}


def screen_of_device(device: object | None) -> Screen | None:
    """The active big screen (大屏) a bound device is, or None (no device, another kind of device,
    or a screen switched off). ``device`` is the centers Device of ``request.bound_device``, read
    duck-typed (bigscreen reads centers through selectors, not its models): its liveness — active,
    token not revoked, binding live — was checked when the middleware resolved it. One query."""
    pk = getattr(device, "pk", None)
    if pk is None:
        return None
    return Screen.objects.filter(device_id=pk, is_active=True).select_related("area").first()
