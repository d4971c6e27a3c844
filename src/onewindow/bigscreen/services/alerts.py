"""大客流预警 (issue #16 part 3): the density alerts of an area's zones.

The ingest calls :func:`alerts_evaluate` after each recomputed bucket (on commit). Only the area's
latest bucket moves alerts (a late or corrected older bucket changes its history, not the present).
Per zone, share = present / capacity against the zone's amber and red shares
(``selectors.crowd.zone_thresholds``):

* at or above amber with no open alert: an alert opens at that level (amber, or red at once);
* at or above red with an open amber alert: it is raised to red in place;
* below amber: the open alert closes (``closed_at``); between amber and red a red alert stays red
  (no flapping between levels on the screens, no second call for the same alert);
* ``peak_share`` keeps the highest share seen while open; a zone absent from the bucket keeps its
  alert as it is (no count is not zero).

The duty officer (``area.duty_officer``) gets an in-app message (notifications outbox, event
``crowd_alert``) when an alert opens and when it turns red, in the same transaction as the change,
never twice for the same level (``notified_at`` and the level only rising); with no officer the alert
is still recorded and shown on the screens.

Re-evaluating the same bucket (a resend or a correction) gives the same state: nothing changes for
the same counts, and a correction below amber closes the alert. Two evaluations at once cannot open
two alerts of a zone: the partial unique constraint ``bigscreen_alert_one_open_per_zone`` refuses
the second insert, which is caught in a savepoint and continues with the row the other one opened
(locked, so it is raised or notified once).
"""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from onewindow.notifications.services import message_enqueue

from ..choices import AlertLevel
from ..models import Area, CrowdAlert, CrowdAreaBucket, Zone
from ..selectors.crowd import SHANGHAI, zone_level, zone_present

if TYPE_CHECKING:
    from onewindow.accounts.models import User

EVENT = "crowd_alert"


def alerts_evaluate(*, area_id: int, bucket_start: datetime.datetime) -> None:
    """Open, raise or close the alerts of ``area_id``'s zones from the merged figures of the bucket
    starting at ``bucket_start`` (only the area's latest bucket moves alerts)."""
    with transaction.atomic():
        area = Area.objects.select_related("duty_officer").filter(pk=area_id).first()
        if area is None:
            return
        latest = (CrowdAreaBucket.objects.filter(area_id=area_id).order_by("-bucket_start")
                  .only("bucket_start", "by_zone").first())
        if latest is None or latest.bucket_start != bucket_start:
            return
        now = timezone.now()
        bucket_end = latest.bucket_start + datetime.timedelta(minutes=area.bucket_minutes)
        open_alerts = {alert.zone_id: alert for alert in
                       CrowdAlert.objects.select_for_update().filter(area_id=area_id, closed_at__isnull=True)}
        for zone in Zone.objects.filter(area_id=area_id).order_by("position", "code"):
            present = zone_present(latest.by_zone, zone.code)
            if present is None:
                continue
            _evaluate_zone(area, zone, present, latest.bucket_start, bucket_end, open_alerts.get(zone.pk), now)


def _evaluate_zone(area: Area, zone: Zone, present: int, bucket_start: datetime.datetime,
                   bucket_end: datetime.datetime, alert: CrowdAlert | None, now: datetime.datetime) -> None:
    level = zone_level(zone, present)
    share = present / zone.capacity
    if alert is None:
        if level is None:
            return
        alert = _open(area, zone, level, share, bucket_start, now)
        if alert is None:
            return  # opened by this call (and notified): done
    if level is None:
        alert.closed_at = now
        alert.save(update_fields=["closed_at"])
        return
    fields = []
    if share > alert.peak_share:
        alert.peak_share = share
        fields.append("peak_share")
    if level == AlertLevel.RED and alert.level != AlertLevel.RED:
        alert.level = AlertLevel.RED
        fields.append("level")
        _notify(area, zone, alert, share, bucket_end, now)
        fields.append("notified_at")
    if fields:
        alert.save(update_fields=fields)


def _open(area: Area, zone: Zone, level: str, share: float, bucket_start: datetime.datetime,
          now: datetime.datetime) -> CrowdAlert | None:
    """Open the zone's alert and notify; None when this call opened it, else (another evaluation
    opened one first) that open alert, locked, for the caller to raise or keep."""
    try:
        with transaction.atomic():
            alert = CrowdAlert.objects.create(area=area, zone=zone, level=level, opened_bucket=bucket_start,
                                              opened_at=now, peak_share=share)
    except IntegrityError:
        return CrowdAlert.objects.select_for_update().get(zone=zone, closed_at__isnull=True)
    _notify(area, zone, alert, share, bucket_start + datetime.timedelta(minutes=area.bucket_minutes), now)
    alert.save(update_fields=["notified_at"])
    return None


def _notify(area: Area, zone: Zone, alert: CrowdAlert, share: float, at: datetime.datetime,
            now: datetime.datetime) -> None:
    """The duty officer's in-app message for the alert's current level (none without an officer)."""
    officer: User | None = area.duty_officer
    if officer is None or not officer.is_active:
        return
    message_enqueue(
        event=EVENT,
        user=officer,
        subject_type="bigscreen_alert",
        subject_id=str(alert.pk),
        context={"area": area.name, "zone": zone.name, "level": alert.level,
                 "share": str(math.floor(share * 100 + 1e-9)), "time": at.astimezone(SHANGHAI).strftime("%H:%M"),
                 "url": f"/bigscreen/{area.code}/"},
    )
    alert.notified_at = now
