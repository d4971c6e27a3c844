"""Screens and the emergency message (issue #16 part 5): what an operator does to every big screen.

- :func:`emergency_post` puts a 紧急通告 over every screen and page of the display (the push layer
  carries it in every channel's envelope); a new message clears the earlier live one, so at most one
  is live at a time.
- :func:`emergency_clear` takes a message down before its end.
- :func:`screen_create` / :func:`screen_configure`: a big screen is a hall display device of the
  existing scheme (centers.Device, kind ``display``, decision 0008) with its name, layout
  (1920×1080 or 3840×2160), business district and the panels it rotates through.

Only operators (``permissions.require_operator``: a system admin or a center manager). Every write
is validated first (nothing is written on a refusal) and audited in the same transaction
(ARCHITECTURE rule 3; GB/T 22239-2019 安全审计).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.permissions import as_user
from onewindow.centers.choices import DeviceKind
from onewindow.centers.selectors import enrolable_devices_for
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound
from onewindow.core.normalize import has_invalid_characters

from .. import permissions
from ..choices import Panel, ScreenLayout, Severity
from ..models import Area, EmergencyMessage, Screen

TEXT_MAX = 200
TEXT_EN_MAX = 300
NAME_MAX = 60
ROTATE_MIN = 5
ROTATE_MAX = 3600
CROWD_PANELS = frozenset({Panel.CROWD_NOW, Panel.CROWD_WEEK, Panel.CROWD_ORIGIN, Panel.CROWD_ZONES})


def invalid(code: str, field: str, message: Any) -> DomainError:
    """A 422 refusal of one field of the operator's input."""
    return DomainError(message, code=code, status=422, fields={field: [message]})


def _clean_text(value: Any, *, field: str, limit: int, required: bool) -> str:
    raw = str(value if value is not None else "")
    if has_invalid_characters(raw):
        raise invalid("bigscreen_text_invalid", field, _("含有无法识别的字符。"))
    text = " ".join(raw.split())
    if required and not text:
        raise invalid("bigscreen_emergency_text_required", field, _("请填写通告内容。"))
    if len(text) > limit:
        raise invalid("bigscreen_emergency_text_too_long", field,
                      _("内容过长：最多 %(n)d 个字符。") % {"n": limit})
    return text


def emergency_validate(*, text: Any, text_en: Any = "", severity: Any = Severity.WARNING,
                       ends_at: datetime.datetime | None = None,
                       now: datetime.datetime | None = None) -> tuple[str, str, str, datetime.datetime | None]:
    """The cleaned message (text, English text, severity, end) or a 422 refusal naming the field:
    empty text ``bigscreen_emergency_text_required``, too long ``bigscreen_emergency_text_too_long``,
    an unknown severity ``bigscreen_severity_unknown``, an end not in the future
    ``bigscreen_emergency_ends_past``."""
    now = now or timezone.now()
    clean = _clean_text(text, field="text", limit=TEXT_MAX, required=True)
    clean_en = _clean_text(text_en, field="text_en", limit=TEXT_EN_MAX, required=False)
    level = str(severity or Severity.WARNING)
    if level not in Severity.values:
        raise invalid("bigscreen_severity_unknown", "severity", _("未知的通告级别。"))
    if ends_at is not None:
        if timezone.is_naive(ends_at):
            ends_at = timezone.make_aware(ends_at)
        if ends_at <= now:
            raise invalid("bigscreen_emergency_ends_past", "ends_at", _("结束时间必须晚于现在。"))
    return clean, clean_en, level, ends_at


def _summary(message: EmergencyMessage) -> dict[str, Any]:
    return {"text": message.text, "text_en": message.text_en, "severity": message.severity,
            "ends_at": message.ends_at.isoformat() if message.ends_at else None}


def emergency_post(*, by: Actor, text: Any, text_en: Any = "", severity: Any = Severity.WARNING,
                   ends_at: datetime.datetime | None = None,
                   now: datetime.datetime | None = None) -> EmergencyMessage:
    """紧急通告: put ``text`` (and its English ``text_en``) over every screen until ``ends_at`` (or
    until cleared). The earlier live message is cleared by the same operator in the same
    transaction (one live message at a time). Operators only (403 ``bigscreen_operator_only``)."""
    permissions.require_operator(by)
    now = now or timezone.now()
    clean, clean_en, level, ends = emergency_validate(text=text, text_en=text_en, severity=severity,
                                                      ends_at=ends_at, now=now)
    with transaction.atomic():
        earlier = list(EmergencyMessage.objects.select_for_update().filter(cleared_at__isnull=True)
                       .exclude(ends_at__lte=now))
        for old in earlier:
            old.cleared_at = now
            old.cleared_by = as_user(by)
            old.save(update_fields=["cleared_at", "cleared_by"])
            audit_record(actor=by, action="bigscreen.emergency.clear", target=old,
                         before=_summary(old), after={"cleared_at": now.isoformat(), "replaced": True})
        message = EmergencyMessage.objects.create(text=clean, text_en=clean_en, severity=level, starts_at=now,
                                                  ends_at=ends, created_at=now,
                                                  created_by=as_user(by))
        audit_record(actor=by, action="bigscreen.emergency.post", target=message, after=_summary(message))
    return message


def emergency_clear(*, by: Actor, message_id: Any, now: datetime.datetime | None = None) -> EmergencyMessage:
    """Take an emergency message down. 404 ``bigscreen_emergency_not_found``; 409
    ``bigscreen_emergency_not_live`` for one already cleared or ended. Operators only."""
    permissions.require_operator(by)
    now = now or timezone.now()
    pk = _as_pk(message_id)
    with transaction.atomic():
        message = EmergencyMessage.objects.select_for_update().filter(pk=pk).first()
        if message is None:
            raise NotFound(_("找不到该紧急通告。"), code="bigscreen_emergency_not_found")
        if message.cleared_at is not None or (message.ends_at is not None and message.ends_at <= now):
            raise Conflict(_("该紧急通告已撤除或已结束。"), code="bigscreen_emergency_not_live")
        message.cleared_at = now
        message.cleared_by = as_user(by)
        message.save(update_fields=["cleared_at", "cleared_by"])
        audit_record(actor=by, action="bigscreen.emergency.clear", target=message, before=_summary(message),
                     after={"cleared_at": now.isoformat()})
    return message


def _as_pk(value: Any) -> int:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else 0


def _clean_screen(*, name: Any, layout: Any, area: Any, panels: Any,
                  rotate_seconds: Any) -> dict[str, Any]:
    """The validated screen settings, or a 422 naming the field. Panels: a non-empty list of
    :class:`Panel` codes without repeats (unknown ``bigscreen_panel_unknown``); the crowd panels
    need an active area (``bigscreen_screen_area_required`` / ``bigscreen_area_not_found``)."""
    raw_name = str(name if name is not None else "")
    if has_invalid_characters(raw_name):
        raise invalid("bigscreen_text_invalid", "name", _("含有无法识别的字符。"))
    clean_name = " ".join(raw_name.split())
    if not clean_name:
        raise invalid("bigscreen_screen_name_required", "name", _("请填写大屏名称。"))
    if len(clean_name) > NAME_MAX:
        raise invalid("bigscreen_screen_name_too_long", "name", _("名称过长：最多 %(n)d 个字符。") % {"n": NAME_MAX})
    clean_layout = str(layout or ScreenLayout.HD)
    if clean_layout not in ScreenLayout.values:
        raise invalid("bigscreen_layout_unknown", "layout", _("未知的分辨率。"))
    if isinstance(panels, str) or not isinstance(panels, Sequence) or not panels:
        raise invalid("bigscreen_panels_required", "panels", _("请至少选择一个轮播面板。"))
    codes = [str(p) for p in panels]
    unknown = [c for c in codes if c not in Panel.values]
    if unknown:
        raise invalid("bigscreen_panel_unknown", "panels",
                      _("未知的面板：%(codes)s。") % {"codes": "、".join(c[:40] for c in unknown[:5])})
    if len(set(codes)) != len(codes):
        raise invalid("bigscreen_panel_repeated", "panels", _("同一面板不能重复选择。"))
    try:
        seconds = int(str(rotate_seconds).strip())
    except (TypeError, ValueError):
        raise invalid("bigscreen_rotate_invalid", "rotate_seconds", _("轮播间隔必须是整数秒。")) from None
    if not ROTATE_MIN <= seconds <= ROTATE_MAX:
        raise invalid("bigscreen_rotate_invalid", "rotate_seconds",
                      _("轮播间隔须在 %(lo)d 至 %(hi)d 秒之间。") % {"lo": ROTATE_MIN, "hi": ROTATE_MAX})
    area_row: Area | None = None
    if area not in (None, ""):
        area_row = area if isinstance(area, Area) else Area.objects.filter(code=str(area)[:40]).first()
        if area_row is None or not area_row.is_active:
            raise invalid("bigscreen_area_not_found", "area", _("找不到该商圈。"))
    if area_row is None and CROWD_PANELS.intersection(codes):
        raise invalid("bigscreen_screen_area_required", "area", _("客流面板需要选择商圈。"))
    return {"name": clean_name, "layout": clean_layout, "area": area_row, "panels": codes,
            "rotate_seconds": seconds}


def _screen_summary(screen: Screen) -> dict[str, Any]:
    return {"name": screen.name, "layout": screen.layout, "area": screen.area.code if screen.area else None,
            "panels": list(screen.panels), "rotate_seconds": screen.rotate_seconds, "is_active": screen.is_active}


def screen_create(*, by: Actor, device_id: Any, name: Any, layout: Any = ScreenLayout.HD, area: Any = None,
                  panels: Any = (), rotate_seconds: Any = 20) -> Screen:
    """Make a hall display of a center the operator manages into a big screen. 404
    ``bigscreen_device_not_found`` for a device the operator may not enrol (or not a display);
    409 ``bigscreen_screen_exists`` when the device already is one."""
    permissions.require_operator(by)
    fields = _clean_screen(name=name, layout=layout, area=area, panels=panels, rotate_seconds=rotate_seconds)
    pk = _as_pk(device_id)
    device = next((d for d in enrolable_devices_for(by) if d.pk == pk and d.kind == DeviceKind.DISPLAY), None)
    if device is None:
        raise NotFound(_("找不到该显示屏设备。"), code="bigscreen_device_not_found")
    exists = Conflict(_("该设备已登记为大屏。"), code="bigscreen_screen_exists")
    if Screen.objects.filter(device_id=device.pk).exists():
        raise exists
    try:
        with transaction.atomic():
            screen = Screen.objects.create(device=device, **fields)
            audit_record(actor=by, action="bigscreen.screen.create", target=screen, after=_screen_summary(screen))
    except IntegrityError:  # made by another operator in the meantime (one screen per device)
        raise exists from None
    return screen


def screen_configure(*, by: Actor, screen_id: Any, name: Any, layout: Any, area: Any, panels: Any,
                     rotate_seconds: Any) -> Screen:
    """Change a big screen's name, layout, area and rotating panels. 404
    ``bigscreen_screen_not_found``; 422 for invalid settings (nothing changed)."""
    permissions.require_operator(by)
    fields = _clean_screen(name=name, layout=layout, area=area, panels=panels, rotate_seconds=rotate_seconds)
    with transaction.atomic():
        screen = (Screen.objects.select_for_update(of=("self",)).select_related("area")
                  .filter(pk=_as_pk(screen_id)).first())
        if screen is None:
            raise NotFound(_("找不到该大屏。"), code="bigscreen_screen_not_found")
        before = _screen_summary(screen)
        for key, value in fields.items():
            setattr(screen, key, value)
        screen.save(update_fields=list(fields))
        audit_record(actor=by, action="bigscreen.screen.configure", target=screen, before=before,
                     after=_screen_summary(screen))
    return screen
