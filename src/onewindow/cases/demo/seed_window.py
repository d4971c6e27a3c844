"""The 临汾路 center's cases of the seed window (2016-04-01 → 2017-09-05, issue #14), a history of
its own beside the demo year (``year.py``, 2025-12 → 2026-11, whose volumes stay as they are).

The seed article (临汾路街道社区事务受理服务中心, 2017-09-05) reports what the center's data showed:
since 2016-04, 15 of its 170 items had no case at all (5 of them since withdrawn), and 42 items had
500 cases or more a year. This history is planned so that the figures hold exactly, and the
analytics (item decisions, key training) must *find* them from the rollups:

- volume = cases received for the item at the center, over all channels (window, appointment,
  kiosk, WeChat, online, as each item offers them), all received under the center's department;
- the 5 items withdrawn in the catalog demo (``catalog.demo.LINFEN_WITHDRAWN``) and 10 more items
  have no case in the window (``ZERO_ITEMS`` = 15 in all);
- ``HIGH_ITEMS`` = 42 items have ≥ 500 cases in the 12 months 2016-09-06 → 2017-09-05, with a
  skewed (Zipf-like) head; every other item stays below 500 there (at most ``MID_TOP``);
- ``SINGLE_DIGIT_ITEMS`` items have 1 to 9 cases over the whole window; the rest tens to hundreds.

Cases are written as ``year.py`` writes the demo year (the same workflow walk, events, clocks,
documents and licences; numbers gap-free per district and year): busy working days (Monday most),
next to nothing on holidays, dips at the 2017 Spring Festival and in summer; about 8 % through a
correction round, 3 % not accepted, 2 % rejected, 1 % withdrawn, the rest delivered. Items
withdrawn get no case after their withdrawal date (none at all, in fact). Deterministic from the
seed; idempotent (the first case number of 2016 is the marker). ``--size small`` skips it.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from collections.abc import Callable

import chinese_calendar

from onewindow.accounts.models import Person
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ServiceItem
from onewindow.core.models import Department

from .. import deadlines
from ..application_form import split_form
from ..choices import CaseStatus as S
from ..choices import ClockKind
from ..models import Case
from .rows import Row, WorkingDays
from .year import JINGAN, Plan, Staff, _at, _Sim, _walk, persons_create, version_of, year_number, year_write

SEED_FIRST, SEED_LAST = datetime.date(2016, 4, 1), datetime.date(2017, 9, 5)
YEAR_FIRST = datetime.date(2016, 9, 6)  # "500件以上" counts the 12 months up to the article's date
SPRING_FESTIVAL_2017 = (datetime.date(2017, 1, 27), datetime.date(2017, 2, 2))
ZERO_ITEMS = 15
HIGH_ITEMS = 42
HIGH_FLOOR = 510  # the 42nd item's yearly volume is at least this (≥ 500 with a margin)
HIGH_HEAD = 1900  # the busiest item's volume above the floor
MID_TOP = 470  # the busiest item below the 42
SINGLE_DIGIT_ITEMS = 25
PERSONS = 1500
#: The center's channels in 2016–2017: mostly at the window (预约 and 自助 growing, 网上 young).
CHANNEL_WEIGHTS = {"window": 0.62, "appointment": 0.12, "kiosk": 0.08, "wechat": 0.08, "online": 0.10}


def marker() -> str:
    return f"{JINGAN}-{SEED_FIRST.year}-0000001"


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def _weight(day: datetime.date, cal: WorkingDays, online: bool) -> float:
    """How busy a day is for one item: working days (Monday most), weekends and holidays only
    online and next to nothing; the 2017 Spring Festival and summer dips."""
    if day not in cal.working:
        if not online:
            return 0.0
        weight = 0.015 if chinese_calendar.is_holiday(day) and day.weekday() < 5 else 0.06
    else:
        weight = (1.3, 1.05, 1.0, 0.97, 0.88)[day.weekday()] if day.weekday() < 5 else 0.9
    if (SPRING_FESTIVAL_2017[0] - datetime.timedelta(days=7) <= day
            <= SPRING_FESTIVAL_2017[1] + datetime.timedelta(days=7)):
        weight *= 0.55
    if day.month in (7, 8):
        weight *= 0.8
    return weight


def volumes_plan(rng: random.Random, items: list[ServiceItem]) -> dict[int, tuple[int, int]]:
    """Per item id: (cases 2016-04-01 → 2016-09-05, cases in the 12 months to 2017-09-05).

    The withdrawn items and ``ZERO_ITEMS - withdrawn`` more are at (0, 0); ``HIGH_ITEMS`` items
    at ≥ ``HIGH_FLOOR`` in the year, Zipf-like from ``HIGH_FLOOR + HIGH_HEAD`` down; the rest
    below ``MID_TOP``, the last ``SINGLE_DIGIT_ITEMS`` of them at 1 to 9 over the whole window."""
    withdrawn = [i for i in items if i.status == ItemStatus.WITHDRAWN]
    active = sorted((i for i in items if i.status != ItemStatus.WITHDRAWN), key=lambda i: i.code)
    rng.shuffle(active)
    zeros = ZERO_ITEMS - len(withdrawn)
    if zeros < 0 or len(active) < zeros + HIGH_ITEMS + SINGLE_DIGIT_ITEMS:
        raise RuntimeError("the seed window needs the catalog demo's 170 临汾路 items (5 withdrawn)")
    plan: dict[int, tuple[int, int]] = {i.pk: (0, 0) for i in withdrawn}
    plan.update({i.pk: (0, 0) for i in active[:zeros]})
    high = active[zeros:zeros + HIGH_ITEMS]
    rest = active[zeros + HIGH_ITEMS:]
    mid, single = rest[:len(rest) - SINGLE_DIGIT_ITEMS], rest[len(rest) - SINGLE_DIGIT_ITEMS:]
    before_share = (YEAR_FIRST - SEED_FIRST).days / 365
    for rank, item in enumerate(high):
        year = HIGH_FLOOR + round(HIGH_HEAD / (rank + 1) ** 1.1 * rng.uniform(0.9, 1.1))
        plan[item.pk] = (round(year * before_share * rng.uniform(0.85, 1.1)), year)
    for rank, item in enumerate(mid):
        year = max(10, round(MID_TOP / (1 + rank * 0.5) * rng.uniform(0.9, 1.0)))
        plan[item.pk] = (round(year * before_share * rng.uniform(0.8, 1.15)), year)
    for item in single:
        total = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9))
        before = rng.randint(0, total)
        plan[item.pk] = (before, total - before)
    return plan


def _channel(rng: random.Random, offered: set[str], working: bool) -> str:
    allowed = sorted(c for c in CHANNEL_WEIGHTS if c in offered and (working or c in ("online", "wechat")))
    return rng.choices(allowed, weights=[CHANNEL_WEIGHTS[c] for c in allowed])[0]


def seed_window_plan(rng: random.Random, cal: WorkingDays, items: list[ServiceItem], center: Department,
                     persons: list[Person]) -> Plan:
    """Plan every case of the window (see the module docstring) in the order received."""
    plan = Plan(rng, cal)
    staff = Staff(None, None, center)  # the 2016 clerks are not demo users: labels only
    volumes = volumes_plan(rng, items)
    spans = ((_days(SEED_FIRST, YEAR_FIRST - datetime.timedelta(days=1)), 0),
             (_days(YEAR_FIRST, SEED_LAST), 1))
    wanted: list[tuple[datetime.date, int, ServiceItem]] = []
    for item in items:
        offered = set(version_of(item).channel_list)
        online = bool({"online", "wechat"} & offered)
        for days, part in spans:
            count = volumes[item.pk][part]
            if count:
                weights = [_weight(d, cal, online) for d in days]
                wanted += [(d, item.pk, item) for d in rng.choices(days, weights=weights, k=count)]
    wanted.sort(key=lambda w: (w[0], w[1]))
    limits: dict[int, tuple[int, str]] = {}
    for day, _pk, item in wanted:
        version = version_of(item)
        offered = set(version.channel_list)
        if "online" in offered:
            offered.add("wechat")
        if "window" in offered:
            offered.add("kiosk")
        channel = _channel(rng, offered, day in cal.working)
        online = channel in ("online", "wechat")
        if version.pk not in limits:
            limit = deadlines.decision_limit(version)
            limits[version.pk] = (limit.days, limit.basis)
        person = rng.choice(persons)
        phone = person.phone
        minute = rng.randrange(7 * 60, 23 * 60) if online else rng.randrange(9 * 60, 16 * 60 + 45)
        submitted = _at(day, minute)
        created = submitted - datetime.timedelta(minutes=rng.randrange(3, 40))
        props = (version.form_schema or {}).get("properties", {})
        form = {"applicant_name": person.name, "contact_phone": phone, "description": "新办"} if props else {}
        shown, personal = split_form(version.form_schema or {}, form)
        method = (rng.choices(("electronic", "mail", "window"), weights=(6, 2, 2))[0] if online
                  else rng.choices(("window", "mail"), weights=(8, 2))[0])
        case = Row(query_code=plan.query_code(), status="", channel=channel, item=item, item_version=version,
                   title=version.name, applicant_person=person, applicant_organization=None, submitter=None,
                   receiving_department=center, handling_department=center, form_data=shown,
                   form_personal=json.dumps(personal, ensure_ascii=False, sort_keys=True) if personal else "",
                   contact_phone=phone, phone_tail=phone[-4:], delivery_method=method, created_at=created,
                   updated_at=created, submitted_at=submitted)
        sim = _Sim(plan, case, len(plan.cases), staff, staff, person.name[:100])
        sim.now = created
        label = person.name[:100] if online else staff.receiver_label
        sim.event("create", S.DRAFT, label=label, public=False, data={"channel": channel})
        sim.now = submitted
        sim.event("submit", S.SUBMITTED, label=label, data={"number": case})
        sim.clock(ClockKind.CORRECTION, day, deadlines.CORRECTION_DAYS, deadlines.BASIS_CORRECTION)
        _walk(sim, rng, cal, limits[version.pk], online)
    return plan


def seed_window_load(progress: Callable[[int], object], seed: int, *, verbose: bool = False) -> int:
    """Write the seed window's cases once (idempotent); return how many were written."""
    if Case.objects.filter(number=marker()).exists():
        return 0
    center = Department.objects.filter(code=f"{JINGAN}021-SQSW").first()
    if center is None:
        raise RuntimeError("load the catalog demo data first (the 临汾路 center)")
    started = time.monotonic()
    rng = random.Random(f"cases-seed-window-{seed}")  # a stream of its own: the year stays the same
    items = list(ServiceItem.objects.filter(department=center, current_version__isnull=False)
                 .select_related("current_version").order_by("code"))
    # Version 1 (in force over the window) is what a case of 2016–2017 pins, never the withdrawal.
    for item in items:
        current = version_of(item)
        if current.status == ItemStatus.WITHDRAWN:
            item.current_version = item.versions.get(number=1)
            item.status = ItemStatus.WITHDRAWN
    cal = WorkingDays(SEED_FIRST - datetime.timedelta(days=7), SEED_LAST + datetime.timedelta(days=200))
    persons = persons_create(rng, PERSONS)
    plan = seed_window_plan(rng, cal, items, center, persons)
    counters = year_number(plan)
    year_write(plan, counters, progress)
    if verbose:
        print(f"seed window: {len(plan.cases)} cases in {time.monotonic() - started:.1f} s")
    return len(plan.cases)
