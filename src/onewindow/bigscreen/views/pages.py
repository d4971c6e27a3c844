"""The big-screen pages (issue #16 parts 3–5):

- ``/bigscreen/<area>/``: an area's public crowd page — people present now, the last 7 days (day ×
  hour heatmap and hourly line), origin shares, today's peak against the same weekday last week,
  and the zones' density with amber/red. Anyone may open it: small counts show "<k" (FlowKit's
  rule). A member of staff gets the first render unredacted; the live stream that updates it stays
  the public, redacted one (one shared computation per interval for every viewer), so a staff
  page shows "<k" again for a small count after the first update.
- ``/bigscreen/wall/``: the government-service wall — today's figures, the 16-district grid (a
  grid, not a map: no map without 审图号; a district without a center shows 暂无数据, never 0), the
  centers' live list. Staff, or a bound big screen; anonymous visitors are sent to the login.
- ``/bigscreen/screen/``: the full-screen page of a bound big screen (a hall display device with
  a :class:`~onewindow.bigscreen.models.Screen`, decision 0008), no login; it rotates through the
  screen's panels. Staff may preview it (``?screen=<id>``, ``?layout=4k``).

Each page renders its first snapshot on the server (numbers without JavaScript), then
``bigscreen/screen.js`` keeps it current from the Server-Sent Events stream (long-poll fallback)
without a reload. The first render reads the channel's shared envelope (``broadcast.current``: one
computation per interval, so a thousand screens reloading at once do not each query the
database); only a staff member's unredacted crowd page is computed for them (seq 0: the next
pushed envelope replaces it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from onewindow.centers import device_auth
from onewindow.core.errors import DomainError, PermissionDenied

from .. import broadcast, permissions
from ..choices import Panel, ScreenLayout
from ..models import Screen
from ..selectors.crowd import crowd_snapshot
from ..selectors.screens import active_emergency, iso, screen_of_device

CROWD_PANELS = [Panel.CROWD_NOW, Panel.CROWD_WEEK, Panel.CROWD_ORIGIN, Panel.CROWD_ZONES]
SERVICE_PANELS = [Panel.SERVICE_TODAY, Panel.SERVICE_DISTRICTS]
WALL_CHANNEL = "wall"


def crowd_channel(area_code: str) -> str:
    return f"crowd:{area_code}"


def envelope(channel: str, data: dict[str, Any], emergency: dict[str, Any] | None) -> dict[str, Any]:
    """The first render's envelope (payloads.md "Envelope"), seq 0: the stream's next one replaces it."""
    return {"channel": channel, "seq": 0, "computed_at": iso(timezone.now()), "emergency": emergency,
            "data": data}


def _url(name: str, channel: str, fallback: str) -> str:
    try:
        return reverse(name, args=[channel])
    except NoReverseMatch:  # the push layer's routes not mounted: the same paths, by hand
        return f"/bigscreen/{fallback}/{channel}/"


def channel_config(channel: str, *, ticket: bool) -> dict[str, Any]:
    """What screen.js needs to follow a channel: the stream (on BIGSCREEN_STREAM_ORIGIN when the
    streaming process runs apart), the long-poll fallback, and for a non-public channel the URL
    of its stream ticket (the streaming process is on another origin and gets no cookie)."""
    origin = str(getattr(settings, "BIGSCREEN_STREAM_ORIGIN", "") or "").rstrip("/")
    return {"channel": channel, "stream": origin + _url("bigscreen:stream", channel, "stream"),
            "poll": _url("bigscreen:poll", channel, "poll"),
            "ticket": _url("bigscreen:ticket", channel, "ticket") if ticket else ""}


def layout_of(request: HttpRequest, default: str = ScreenLayout.HD) -> str:
    value = request.GET.get("layout", "")
    return value if value in ScreenLayout.values else default


def page_context(request: HttpRequest, emergency: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    interval = float(getattr(settings, "BIGSCREEN_INTERVAL_SECONDS", 2))
    return {"english": (get_language() or "").startswith("en"), "interval_ms": int(interval * 1000),
            "ticket_seconds": int(getattr(settings, "BIGSCREEN_TICKET_SECONDS", 900)), "emergency": emergency,
            **extra}


def error_page(request: HttpRequest, exc: DomainError, *, device: bool = False) -> HttpResponse:
    return render(request, "bigscreen/error.html", {"error": exc, "device": device}, status=exc.status)


@require_GET
def crowd(request: HttpRequest, area_code: str) -> HttpResponse:
    """The public crowd page of an area (redacted; unredacted first render for staff)."""
    staff = permissions.can_view_unredacted(request.user)
    channel = crowd_channel(area_code)
    try:
        if staff:
            shown = envelope(channel, crowd_snapshot(area_code, redact=False), active_emergency())
        else:
            shown = broadcast.current(channel)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "bigscreen/crowd.html", page_context(
        request, shown["emergency"], layout=layout_of(request), staff=staff, crowd=shown,
        crowd_config=channel_config(channel, ticket=False), panels=CROWD_PANELS))


@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    """The government-service wall: staff, or a bound big screen."""
    screen = screen_of_device(getattr(request, "bound_device", None))
    if screen is None and not permissions.can_view_wall(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return error_page(request, PermissionDenied(_("只有工作人员或已登记的大屏可以查看政务服务大屏。"),
                                                    code="bigscreen_wall_forbidden"))
    shown = broadcast.current(WALL_CHANNEL)
    return render(request, "bigscreen/wall.html", page_context(
        request, shown["emergency"], layout=layout_of(request, screen.layout if screen else ScreenLayout.HD),
        wall=shown, wall_config=channel_config(WALL_CHANNEL, ticket=True),
        panels=[*SERVICE_PANELS, "centers"]))


def _previewed(request: HttpRequest) -> Screen | None:
    """A screen a member of staff previews (?screen=<id>), or None."""
    value = request.GET.get("screen", "")
    if not value.isdigit() or len(value) > 12 or not permissions.is_staff(request.user):
        return None
    return Screen.objects.select_related("area").filter(pk=int(value)).first()


@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The full-screen page of a bound big screen: its panels in rotation, no login. Refused with 403
    ``bigscreen_screen_not_enrolled`` in a browser that is not bound to a big screen."""
    device = getattr(request, "bound_device", None)
    row = screen_of_device(device)
    if row is not None and device is not None:
        device_auth.touch(device)  # the operator's "last seen" (at most one UPDATE a minute)
    row = row or _previewed(request)
    if row is None:
        return error_page(request, PermissionDenied(
            _("本设备尚未登记为大屏，不能使用此页面。请联系中心负责人在本设备上登记。"),
            code="bigscreen_screen_not_enrolled"), device=True)
    panels = [p for p in row.panels if p in Panel.values] or [*SERVICE_PANELS]
    crowd_env = crowd_cfg = None
    if row.area is not None and any(p in CROWD_PANELS for p in panels):
        try:
            crowd_env = broadcast.current(crowd_channel(row.area.code))
            crowd_cfg = channel_config(crowd_channel(row.area.code), ticket=False)
        except DomainError:  # the area was switched off: its panels drop out, the rest still rotate
            crowd_env = None
    if crowd_env is None:
        panels = [p for p in panels if p not in CROWD_PANELS] or [*SERVICE_PANELS]
    wall_env = wall_cfg = None
    if any(p in SERVICE_PANELS for p in panels):
        wall_env = broadcast.current(WALL_CHANNEL)
        wall_cfg = channel_config(WALL_CHANNEL, ticket=True)
    emergency = (crowd_env or wall_env or {}).get("emergency")
    return render(request, "bigscreen/screen.html", page_context(
        request, emergency, layout=layout_of(request, row.layout), screen=row, panels=panels,
        rotate_ms=row.rotate_seconds * 1000, crowd=crowd_env, crowd_config=crowd_cfg, wall=wall_env,
        wall_config=wall_cfg))
