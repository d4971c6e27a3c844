"""Demo cases (办件) of Shanghai, 静安区 in full (issue #3 part 12), called by ``onewindow demo_data``
after the accounts.

1. A year of cases (2025-12-01 … 2026-11-26) over the demo catalog items of the 静安区 departments
   and 临汾路街道社区事务受理服务中心 — and, thinner (``DISTRICT_SCALE`` of 静安区's volume, each
   from a random stream of its own so 静安区's cases stay the same), of the departments of the
   other 15 districts (issue #10) — written with ``bulk_create`` but consistent with what the
   services would have written: numbers gap-free per district and year with the core counters set
   to the last number used (``cases:<district>:<year>``, ``cases.doc:<kind>:<dept>:<year>``,
   ``cases.licence:<dept>:<year>``), one timeline event per step, clocks computed on the working-day
   calendar (行政许可法 arts. 32, 42, 44, 82), a numbered document per notice and decision and a
   licence (证照) per approval. Patterns: working days much busier than weekends, next to nothing on
   holidays, a Monday peak, dips at the Spring Festival and in summer; about 8 % go through a
   correction round (补正), 3 % are not accepted, 2 % rejected, 1 % withdrawn; the cases of the last
   days are still open, a few overdue (red) or near their due date (yellow) on ``AS_OF``.
2. Stories through the real services (genuine timelines, audit and outbox) for the demo accounts:
   the citizen's fully-online case accepted and approved (SMS in the outbox), a case in a
   correction round, a draft; a case received at 临汾路 for a district item and forwarded (已转报);
   an enterprise case by ``agent``. A window clerk ``centerclerk`` of the 临汾路 center is added.

3. The 临汾路 center's history of the seed window 2016-04-01 → 2017-09-05 (``seed_window``, issue
   #14: 15 items at zero, 5 of them withdrawn, 42 at ≥ 500 a year), not in the small profile.

Idempotent (the first case number of the year is the marker) and deterministic from the seed.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.db import transaction

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import Department

from .. import deadlines
from ..models import Case
from .rows import WorkingDays
from .seed_window import seed_window_load
from .stories import centerclerk_ensure, stories_play
from .year import (
    AS_OF,
    CENTER_CODE,
    CENTERCLERK,
    CUTOFF,
    DISTRICT_SCALE,
    DISTRICT_SCALE_BY_CODE,
    FIRST_DAY,
    ITEMS_PER_DISTRICT,
    JINGAN,
    LAST_DAY,
    SMALL_FIRST_DAY,
    Items,
    Staff,
    organizations_create,
    persons_create,
    version_of,
    year_number,
    year_plan,
    year_write,
)

__all__ = ["AS_OF", "CENTERCLERK", "CUTOFF", "FIRST_DAY", "LAST_DAY", "load"]


def _staff(districts: list[Department], center: Department, centerclerk: User) -> tuple[Department, dict[int, Staff]]:
    roles = {r.role: r for r in StaffRole.objects.filter(user__username__in=["clerk", "reviewer"], valid=True)
             .select_related("user__person", "department")}
    clerk_role = roles.get(StaffRoleKind.WINDOW_CLERK)
    department = clerk_role.department if clerk_role is not None and clerk_role.department else None
    if department is None:
        department = next(d for d in districts if "市场监督管理局" in d.name)
    reviewer_role = roles.get(StaffRoleKind.REVIEWER)
    staff = {d.pk: Staff(None, None, d) for d in districts}
    staff[department.pk] = Staff(clerk_role.user if clerk_role else None,
                                 reviewer_role.user if reviewer_role else None, department)
    staff[center.pk] = Staff(centerclerk, None, center)
    return department, staff


def _other_districts(staff: dict[int, Staff]) -> dict[str, list[ServiceItem]]:
    """The active items (working-day limits) of the district departments outside 静安区, by
    district code; their departments join ``staff`` (labels only: no demo user works there)."""
    departments = list(Department.objects.filter(level="district", is_active=True, region__level="district")
                       .exclude(region__code=JINGAN).select_related("region").order_by("code"))
    for dept in departments:
        staff[dept.pk] = Staff(None, None, dept)
    # The first ITEMS_PER_DISTRICT items of each district by code (reading all ~9,000 with their
    # versions took seconds): a thinner year needs fewer distinct items.
    active = ServiceItem.objects.filter(department__in=departments, status="active", current_version__isnull=False)
    ids: dict[str, list[int]] = {}
    for pk, code in active.order_by("code").values_list("pk", "department__region__code"):
        if len(ids.setdefault(code, [])) < ITEMS_PER_DISTRICT:
            ids[code].append(pk)
    by_district: dict[str, list[ServiceItem]] = {}
    for item in (active.filter(pk__in=[pk for pks in ids.values() for pk in pks])
                 .select_related("current_version", "department__region").order_by("code")):
        if deadlines.decision_limit(version_of(item)).unit == "working":
            by_district.setdefault(item.department.region.code, []).append(item)
    return dict(sorted(by_district.items()))


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> list[tuple[str, str, str]]:
    """Load the demo cases once (see the module docstring); return the ``centerclerk`` account.

    ``size="small"`` (CI, e.g. the whole-database PII scan) plans only the last two weeks of the
    year with 300 persons and 90 organizations; the stories are the same."""
    small = size == "small"
    first_day = SMALL_FIRST_DAY if small else FIRST_DAY
    accounts = [CENTERCLERK]
    center = Department.objects.filter(code=CENTER_CODE).first()
    admin = User.objects.filter(username="admin").first()
    if center is None or admin is None:
        raise RuntimeError("load the catalog and accounts demo data first (the 临汾路 center, the admin)")
    rng = random.Random(f"cases-{seed}")  # a stream of its own: no sample identifier shared with other demos
    with transaction.atomic():
        centerclerk = centerclerk_ensure(admin, center, rng)
    if Case.objects.filter(number=f"{JINGAN}-{first_day.year}-0000001").exists():
        if not small:
            with transaction.atomic():
                seed_window_load(progress, seed)
        progress(Case.objects.count())
        return accounts
    districts = list(Department.objects.filter(region__code=JINGAN, level="district", is_active=True)
                     .order_by("code"))
    department, staff = _staff(districts, center, centerclerk)
    items = list(ServiceItem.objects.filter(department__in=[*districts, center], status="active",
                                            current_version__isnull=False)
                 .select_related("current_version", "department").order_by("code"))
    items = [i for i in items if deadlines.decision_limit(version_of(i)).unit == "working"]
    others = _other_districts(staff)
    cal = WorkingDays(first_day - datetime.timedelta(days=7), LAST_DAY + datetime.timedelta(days=200))
    with transaction.atomic():
        persons = persons_create(rng, 300 if small else 4000)
        organizations = organizations_create(rng, 90 if small else 1200)
        progress(len(persons) + len(organizations))
        plan = year_plan(rng, cal, Items([i for i in items if i.department_id != center.pk], rng),
                          Items([i for i in items if i.department_id == center.pk], rng), center, staff,
                          persons, organizations, first_day)
        for code, district_items in others.items():
            district_rng = random.Random(f"cases-{seed}-{code}")
            year_plan(district_rng, cal, Items(district_items, district_rng), None, None, staff, persons,
                      organizations, first_day, plan=plan, scale=DISTRICT_SCALE_BY_CODE.get(code, DISTRICT_SCALE))
        counters = year_number(plan)
        year_write(plan, counters, progress)
        stories = stories_play(center, department)
        audit_record(actor=system_actor("demo_data"), action="cases.demo_load", target=None,
                     after={"cases": len(plan.cases), "seed": seed,
                            "stories": {k: c.pk for k, c in stories.items()}})
        if not small:
            seed_window_load(progress, seed)
    return accounts

