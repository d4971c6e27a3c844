"""Demo data of the big-data display (大数据应用展示, issue #16 "Done means"), run by
``onewindow demo_data`` after the centers and staffing demos:

1. the business district 南京西路商圈 (code ``nanjingxilu``, 5-minute buckets, k = 15) with its six
   zones and their capacities (illustrative: services/simulate.py's :data:`ZONES`), ``manager`` as
   its duty officer (大客流预警 reach them in-app);
2. the simulated feed as a registered source of the area, "南京西路模拟数据源", with its own
   token (scope ``crowd:ingest``); the area, zones and source are made as ``admin`` through the
   services (audited); the token's secret is not printed: the simulator calls the ingest service
   directly;
3. its history: every 5-minute bucket of the last 14 days up to now (``size="small"``: 2 days),
   written in bulk with the ingest's own validation and rows (``simulate_history``), so the
   crowd page's last-7-days heatmap, its line and "today against the same weekday last week" are
   full at once; from then on the periodic task ``bigscreen_crowd_simulate`` (every minute, under
   ``make demo``'s scheduler and worker) sends each new bucket through the ingest service, and the
   page moves;
4. a big screen: a hall display of the 临汾路 center named "大数据展示中心大屏" (centers.Device
   kind ``display`` with its device token, registered as ``admin``) made a :class:`Screen` by
   ``manager`` — all six panels, 20 s apart, 1920×1080, showing 南京西路商圈.

The printed lines say how to enrol the screen's browser and where the public crowd page is.
Idempotent: each step looks for what it would write and skips it; a second run only adds the
buckets missing since the last one (none when the task has been running). Deterministic from the
seed apart from the clock and the device token. The 14 days (4,032 buckets) took 16 s on SQLite on
the shared 2-core machine in a full ``demo_data`` run; a second run about 0.02 s.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from onewindow.centers.choices import DeviceKind
from onewindow.centers.demo_names import CENTER_CODE
from onewindow.centers.selectors import center_by_code, enrolable_devices_for
from onewindow.centers.services.devices import device_issue

from .choices import Panel, ScreenLayout
from .models import Area, Screen, Source
from .services.screens import screen_create
from .services.simulate import (
    AREA_CODE,
    AREA_NAME,
    AREA_NAME_EN,
    DEFAULT_SEED,
    SOURCE_NAME,
    ZONES,
    simulate_history,
)
from .services.sources import area_create, source_create, zone_create

SCREEN_NAME = "大数据展示中心大屏"
HISTORY_DAYS = {"full": 14, "small": 2}
REDACTION_K = 15


def _area(admin: Any, manager: Any) -> Area:
    """The area and its zones, through the admin's services (audited); only what is missing. The
    services have no duty-officer field (an admin sets it on the admin site), so it is set here."""
    area = Area.objects.filter(code=AREA_CODE).first()
    if area is None:
        area = area_create(by=admin, code=AREA_CODE, name=AREA_NAME, name_en=AREA_NAME_EN, bucket_minutes=5,
                           stale_minutes=15, redaction_threshold=REDACTION_K)
        Area.objects.filter(pk=area.pk).update(duty_officer=manager)
        area.duty_officer = manager
    have = set(area.zones.values_list("code", flat=True))
    for position, zone in enumerate(ZONES, start=1):
        if zone.code not in have:
            zone_create(by=admin, area=area, code=zone.code, name=zone.name, name_en=zone.name_en,
                        capacity=zone.capacity, position=position)
    return area


def _source(admin: Any, area: Area) -> Source:
    source = Source.objects.filter(area=area, name=SOURCE_NAME).select_related("area").first()
    if source is None:  # its bearer is not kept: the simulator calls the ingest service directly
        source, _bearer = source_create(by=admin, area=area, name=SOURCE_NAME)
    return source


def _screen(admin: Any, manager: Any, area: Area) -> Screen:
    screen = Screen.objects.filter(name=SCREEN_NAME).first()
    if screen is not None:
        return screen
    center = center_by_code(CENTER_CODE)
    device = next((d for d in enrolable_devices_for(admin)
                   if d.center_id == center.pk and d.kind == DeviceKind.DISPLAY and d.name == SCREEN_NAME), None)
    if device is None:
        device, _bearer = device_issue(by=admin, center_id=center.pk, kind=DeviceKind.DISPLAY, name=SCREEN_NAME)
    return screen_create(by=manager, device_id=device.pk, name=SCREEN_NAME, layout=ScreenLayout.HD, area=area,
                         panels=list(Panel.values), rotate_seconds=20)


def _printed(area: Area) -> list[tuple[str, str, str]]:
    return [
        ("enrol:bigscreen", "/centers/devices/enrol/",
         f"in the big screen's browser: log in as manager, open this page, pick {SCREEN_NAME} "
         f"(→ /bigscreen/screen/, full screen, no login)"),
        ("page:crowd", f"/bigscreen/{area.code}/",
         f"{AREA_NAME} public crowd page (no login; moves as the simulated feed sends every 5 minutes)"),
        ("page:wall", "/bigscreen/wall/", "government-service wall (staff, e.g. manager)"),
    ]


def load(progress: Callable[[int], Any] = lambda n: None, seed: int = DEFAULT_SEED, size: str = "full",
         now: datetime.datetime | None = None) -> list[tuple[str, str, str]]:
    """Load the big-screen demo once (see the module docstring). ``size="small"`` writes 2 days of
    crowd history instead of 14. Returns the lines to print (enrolment and pages)."""
    admin = get_user_model().objects.filter(username="admin").first()
    manager = get_user_model().objects.filter(username="manager").first()
    if admin is None or manager is None:
        raise RuntimeError("load the accounts and centers demo data first (admin, manager, the 临汾路 center)")
    now = now or timezone.now()
    with transaction.atomic():
        area = _area(admin, manager)
        source = _source(admin, area)
        progress(1)
        if source.is_active:  # an administrator may have stopped the simulated feed: leave it so
            simulate_history(source, days=HISTORY_DAYS.get(size, HISTORY_DAYS["full"]), now=now, seed=seed,
                             progress=progress)
        _screen(admin, manager, area)
        progress(1)
    return _printed(area)
