"""Key-training proposals (重点培训, issue #14 part 5; the seed: items handled 500件以上 a year get
key, regular training) and signals (items or clerks with low ratings or long handling times).

Volumes are read only through ``analytics.selectors.volumes.item_volumes`` (the rollups, 办件量 =
cases received at the center over all channels); ratings and handling times through
``analytics.selectors.signals``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.analytics.selectors import signals
from onewindow.analytics.selectors.volumes import item_volumes
from onewindow.catalog.models import ServiceItem
from onewindow.centers.selectors import user_name
from onewindow.core.actors import Actor
from onewindow.core.errors import NotFound

from .. import permissions
from ..choices import SessionStatus
from ..models import TrainingSession


def year_before(on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The 12 months ending on ``on`` (both included): 2017-09-05 → 2016-09-06 … 2017-09-05."""
    try:
        a_year_back = on.replace(year=on.year - 1)
    except ValueError:  # 29 February
        a_year_back = on.replace(year=on.year - 1, day=28)
    return a_year_back + datetime.timedelta(days=1), on


def default_day(center_id: int) -> datetime.date:
    """Today, or the center's last day of cases when the rollups end earlier (the demo's history)."""
    today = timezone.localdate()
    last = signals.latest_case_day(center_id=center_id)
    return min(today, last) if last is not None else today


def key_volume() -> int:
    return int(getattr(settings, "TRAINING_KEY_VOLUME", 500))


def key_item_volumes(*, center_id: int, on: datetime.date) -> dict[int, int]:
    """Items of at least TRAINING_KEY_VOLUME cases over the 12 months ending ``on`` → volume."""
    start, end = year_before(on)
    threshold = key_volume()
    return {item_id: n for item_id, n in item_volumes(center_id=center_id, start=start, end=end).items()
            if n >= threshold}


def trained_items(*, center_id: int, item_ids: list[int], on: datetime.date) -> dict[int, datetime.datetime]:
    """Items with a session of one of their courses (not cancelled) starting after the 12 months
    before ``on`` (a planned future session counts) → the last such session's start."""
    start, _end = year_before(on)
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    rows = (TrainingSession.objects.filter(center_id=center_id, starts_at__gte=since,
                                           course__items__in=item_ids)
            .exclude(status=SessionStatus.CANCELLED).values_list("course__items", "starts_at"))
    out: dict[int, datetime.datetime] = {}
    for item_id, starts_at in rows:
        if item_id in item_ids and (item_id not in out or starts_at > out[item_id]):
            out[item_id] = starts_at
    return out


def untrained_key_count(*, center_id: int, on: datetime.date) -> int:
    volumes = key_item_volumes(center_id=center_id, on=on)
    trained = trained_items(center_id=center_id, item_ids=list(volumes), on=on)
    return len(set(volumes) - set(trained))


def key_proposals(*, by: Actor, center_id: int, on: datetime.date | None = None) -> dict[str, Any]:
    """The key-training list of a center the viewer manages (404 otherwise): each item of at
    least the threshold over the 12 months ending ``on``, largest first, with its volume and the
    last session covering it (None: a proposal to plan)."""
    if not permissions.can_manage(by, center_id):
        raise NotFound(_not_found(), code="training_center_not_found")
    day = on or default_day(center_id)
    volumes = key_item_volumes(center_id=center_id, on=day)
    trained = trained_items(center_id=center_id, item_ids=list(volumes), on=day)
    names = dict(ServiceItem.objects.filter(pk__in=volumes).values_list("pk", "name"))
    codes = dict(ServiceItem.objects.filter(pk__in=volumes).values_list("pk", "code"))
    start, end = year_before(day)
    ranked = sorted(volumes.items(), key=lambda pair: (-pair[1], pair[0]))
    rows = [{"item_id": item_id, "code": codes.get(item_id, ""), "name": names.get(item_id, ""), "volume": n,
             "last_session_at": trained.get(item_id), "proposed": item_id not in trained}
            for item_id, n in ranked]
    return {"on": day, "start": start, "end": end, "threshold": key_volume(), "items": rows,
            "untrained": sum(1 for r in rows if r["proposed"])}


def signal_proposals(*, by: Actor, center_id: int, on: datetime.date | None = None) -> dict[str, Any]:
    """Items and clerks of the center (managed by the viewer; 404 otherwise) whose ratings or
    handling times over the 12 months ending ``on`` cross a threshold: average score below
    TRAINING_SIGNAL_MIN_SCORE or bad-rating share above TRAINING_SIGNAL_BAD_SHARE (with at least
    TRAINING_SIGNAL_MIN_COUNT ratings), median handling time above TRAINING_SIGNAL_MEDIAN_HOURS
    (with at least TRAINING_SIGNAL_MIN_COUNT concluded cases)."""
    if not permissions.can_manage(by, center_id):
        raise NotFound(_not_found(), code="training_center_not_found")
    day = on or default_day(center_id)
    start, end = year_before(day)
    items = _flag(signals.item_figures(center_id=center_id, start=start, end=end))
    clerks = _flag(signals.clerk_figures(center_id=center_id, start=start, end=end))
    item_names = dict(ServiceItem.objects.filter(pk__in=[r["id"] for r in items]).values_list("pk", "name"))
    for row in items:
        row["name"] = item_names.get(row["id"], "")
    clerk_ids = [r["id"] for r in clerks]
    users = {u.pk: u for u in get_user_model().objects.select_related("person").filter(pk__in=clerk_ids)}
    for row in clerks:
        row["name"] = user_name(users[row["id"]]) if row["id"] in users else ""
    return {"on": day, "start": start, "end": end, "items": items, "clerks": clerks}


def _flag(figures: dict[int, signals.Figures]) -> list[dict[str, Any]]:
    min_count = int(getattr(settings, "TRAINING_SIGNAL_MIN_COUNT", 20))
    min_score = float(getattr(settings, "TRAINING_SIGNAL_MIN_SCORE", 4.0))
    bad_share = float(getattr(settings, "TRAINING_SIGNAL_BAD_SHARE", 0.05))
    median_hours = float(getattr(settings, "TRAINING_SIGNAL_MEDIAN_HOURS", 72))
    out = []
    for ref, fig in figures.items():
        reasons = []
        if fig.ratings >= min_count:
            if fig.average_score is not None and fig.average_score < min_score:
                reasons.append("low_score")
            if fig.bad_share is not None and fig.bad_share > bad_share:
                reasons.append("bad_share")
        if fig.handled >= min_count and (fig.median_hours or 0) > median_hours:
            reasons.append("slow")
        if reasons:
            out.append({"id": ref, "reasons": reasons, **fig.as_dict()})
    out.sort(key=lambda r: (-len(r["reasons"]), r["id"]))
    return out


def _not_found() -> Any:
    return _("找不到该中心，或您无权查看其培训。")
