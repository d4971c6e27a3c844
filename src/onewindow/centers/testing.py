"""Test fixtures of the service centers, built on the case fixtures (registered as a pytest plugin).

``center_world``: the 临汾路 test center (department = case_world.center) open Monday to Friday
08:30–17:00 (last ticket 16:30), categories A 户籍 / B 社保 / C 综合, windows 1 (A, C), 2 (B) and
3 (A, B, C), all open; the center clerk works there, the principals' manager manages it; a call
keypad device bound to window 1, a hall kiosk (its self-fill acts as the center clerk) and a hall
display. ``MONDAY_10`` is a moment when it is open (2 March 2026).

``enrol(client, device)`` binds a test client's browser to a kiosk or display as its enrolment
would (decision 0008); ``enrol_context(context, device, base_url)`` does it for a Playwright context.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.accounts.testing import make_api_token
from onewindow.cases.testing import CaseWorld

from .choices import CenterLevel, DeviceKind, WindowState
from .models import Center, CenterStaff, Device, OpeningHours, TicketCategory, Window

MONDAY_10 = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 0))


@dataclass
class CenterWorld:
    cw: CaseWorld
    center: Center
    a: TicketCategory
    b: TicketCategory
    c: TicketCategory
    w1: Window
    w2: Window
    w3: Window
    clerk: User
    manager: User
    keypad: Device
    keypad_bearer: str
    kiosk: Device
    display: Device

    def at(self, minutes: int = 0, day: datetime.datetime = MONDAY_10) -> datetime.datetime:
        return day + datetime.timedelta(minutes=minutes)


def build_center_world(cw: CaseWorld) -> CenterWorld:
    center = Center.objects.create(code="TEST-LFL", name="临汾路街道社区事务受理服务中心（测试）",
                                   short_name="临汾路中心", level=CenterLevel.STREET, region=cw.street,
                                   department=cw.center, address="上海市静安区临汾路 1 号")
    for weekday in range(5):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=datetime.time(8, 30),
                                    closes=datetime.time(17, 0), last_ticket=datetime.time(16, 30))
    a = TicketCategory.objects.create(center=center, prefix="A", name="户籍办理", service_minutes=10, sort=1)
    b = TicketCategory.objects.create(center=center, prefix="B", name="社保医保", service_minutes=8, sort=2)
    c = TicketCategory.objects.create(center=center, prefix="C", name="综合受理", service_minutes=12, sort=3)
    w1 = Window.objects.create(center=center, number=1, state=WindowState.OPEN)
    w2 = Window.objects.create(center=center, number=2, state=WindowState.OPEN)
    w3 = Window.objects.create(center=center, number=3, state=WindowState.OPEN)
    w1.categories.set([a, c])
    w2.categories.set([b])
    w3.categories.set([a, b, c])
    CenterStaff.objects.create(center=center, user=cw.center_clerk)
    CenterStaff.objects.create(center=center, user=cw.p.manager, is_manager=True)
    token, bearer = make_api_token(name="1号窗口叫号器", scopes=["device"], system_name="keypad-lfl-1")
    keypad = Device.objects.create(center=center, window=w1, kind=DeviceKind.CALL_KEYPAD, name="1号窗口叫号器",
                                   token=token)
    kiosk_token, _bearer = make_api_token(name="大厅一体机", scopes=["device"], system_name="kiosk-lfl")
    kiosk = Device.objects.create(center=center, kind=DeviceKind.KIOSK, name="大厅一体机", token=kiosk_token,
                                  operator=cw.center_clerk)
    display_token, _bearer = make_api_token(name="大厅显示屏", scopes=["device"], system_name="display-lfl")
    display = Device.objects.create(center=center, kind=DeviceKind.DISPLAY, name="大厅显示屏", token=display_token)
    return CenterWorld(cw=cw, center=center, a=a, b=b, c=c, w1=w1, w2=w2, w3=w3, clerk=cw.center_clerk,
                       manager=cw.p.manager, keypad=keypad, keypad_bearer=bearer, kiosk=kiosk, display=display)


@pytest.fixture
def center_world(case_world: CaseWorld) -> CenterWorld:
    return build_center_world(case_world)


def take(world: CenterWorld, category: TicketCategory, minutes: int = 0, **fields: Any) -> Any:
    from .services import ticket_take

    by = fields.pop("by", world.clerk if fields.get("priority") in ("vip", "elderly") else None)
    return ticket_take(by=by, center_id=world.center.pk, category_id=category.pk, now=world.at(minutes), **fields)


def binding_cookie(device: Device) -> tuple[str, str]:
    """Enrol ``device`` as its center's manager would; the cookie's name and signed value."""
    from .device_auth import cookie_name, signed_cookie_value
    from .services.devices import device_enrol

    manager = CenterStaff.objects.filter(center=device.center, is_manager=True, valid=True).first()
    _binding, value = device_enrol(by=manager.user if manager else AnonymousUser(), device_id=device.pk)
    return cookie_name(), signed_cookie_value(value)


def enrol(client: Any, device: Device) -> Any:
    """Bind a test client's browser to ``device`` (a kiosk or display); returns the client."""
    name, value = binding_cookie(device)
    client.cookies[name] = value
    return client


@pytest.fixture
def kiosk_client(center_world: CenterWorld) -> Any:
    """A browser enrolled as the test center's hall kiosk (no login: the binding is its credential)."""
    from django.test import Client

    return enrol(Client(), center_world.kiosk)


@pytest.fixture
def kiosk_cookie(center_world: CenterWorld) -> dict[str, Any]:
    """The hall kiosk's binding cookie for a Playwright context (``add_cookies`` with ``url`` set)."""
    name, value = binding_cookie(center_world.kiosk)
    return {"name": name, "value": value, "httpOnly": True, "sameSite": "Strict"}
