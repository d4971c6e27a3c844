"""Test fixtures of staffing (issue #15), built on ``center_world`` (the 临汾路 test center).

``staffing_world``: the test center (open Monday to Friday 08:30–17:00; categories A 户籍 / B 社保 /
C 综合) with windows 1 (A, C), 2 (B), 3 (A, B, C) and a specialised window 4 (B); four clerks (the
center clerk and ``s_clerk2``..``s_clerk4``), its manager; a second center (曹家渡) with its own
manager, who must see nothing of the first; ``outsider``, a user with no center role.
``MONDAY`` is the Monday of the test week (2 March 2026, a working day).

``qualify(world, user, "A", "B")`` records that the clerk served those categories a month before
the test week (``TicketHourFact`` rows), which is what ``selectors.roster.clerks_of`` reads as
qualification. Register the fixture in a test module with
``from onewindow.staffing.testing import staffing_world  # noqa: F401``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest

from onewindow.accounts.models import User
from onewindow.accounts.testing import UserFactory
from onewindow.centers.choices import CenterLevel, WindowKind, WindowState
from onewindow.centers.models import Center, CenterStaff, TicketCategory, Window
from onewindow.centers.testing import CenterWorld

MONDAY = datetime.date(2026, 3, 2)


@dataclass
class StaffingWorld:
    w: CenterWorld
    center: Center
    manager: User
    clerks: list[User]
    windows: dict[int, Window]
    categories: dict[str, TicketCategory]
    other_center: Center
    other_manager: User
    outsider: User
    week_start: datetime.date = MONDAY
    extra: dict[str, object] = field(default_factory=dict)

    def day(self, offset: int = 0) -> datetime.date:
        """The date ``offset`` days after the test week's Monday."""
        return self.week_start + datetime.timedelta(days=offset)


def build_staffing_world(w: CenterWorld) -> StaffingWorld:
    w4 = Window.objects.create(center=w.center, number=4, kind=WindowKind.SPECIALISED, state=WindowState.OPEN)
    w4.categories.set([w.b])
    clerks = [w.clerk]
    for n in (2, 3, 4):
        user = UserFactory.create(username=f"s_clerk{n}")
        CenterStaff.objects.create(center=w.center, user=user)
        clerks.append(user)
    other = Center.objects.create(code="TEST-CJD-S", name="曹家渡街道社区事务受理服务中心（测试）",
                                  short_name="曹家渡中心", level=CenterLevel.STREET, region=w.center.region,
                                  department=w.center.department)
    other_manager = UserFactory.create(username="s_other_manager")
    CenterStaff.objects.create(center=other, user=other_manager, is_manager=True)
    outsider = UserFactory.create(username="s_outsider")
    return StaffingWorld(w=w, center=w.center, manager=w.manager, clerks=clerks,
                         windows={1: w.w1, 2: w.w2, 3: w.w3, 4: w4},
                         categories={"A": w.a, "B": w.b, "C": w.c},
                         other_center=other, other_manager=other_manager, outsider=outsider)


def qualify(world: StaffingWorld, user: User, *prefixes: str, served: int = 5) -> None:
    """The clerk served tickets of each category (by prefix) at the center 30 days before the week."""
    from onewindow.analytics.models import TicketHourFact

    day = world.week_start - datetime.timedelta(days=30)
    for prefix in prefixes:
        TicketHourFact.objects.create(center=world.center, day=day, hour=10, category=world.categories[prefix],
                                      source="kiosk", window=world.windows[1], clerk=user, arrivals=served,
                                      served=served)


@pytest.fixture
def staffing_world(center_world: CenterWorld) -> StaffingWorld:
    return build_staffing_world(center_world)
