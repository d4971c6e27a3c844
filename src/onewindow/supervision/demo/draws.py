"""The demo's 双随机 draws and joint inspections of 静安区 (issue #12; seed figures,
shared/seed/figures.json → supervision): 10 departments ran 40 draws covering exactly 5,082
enterprises, in the seed's fields (商标保护, 消费维权, 公共场所卫生, 经营性教育培训机构) and a few of the
departments' own; 28 联合检查组 — here 28 joint plans of 2 or 3 entities, 79 entities in all — in 3
industries (餐饮, 教育培训, 人力资源中介), over 3 rounds, led by 市场监管局, 教育局 and 人社局 in the seed's
"1+1" and "1+2" patterns. One more plan is published for the walkthrough: its random value is
named for tomorrow, so it can be frozen today and drawn once the value exists.

Every plan goes through the services — create, publish, freeze, draw, results (each drawn officer
of each department records its own items: one checklist, 一张表), close, publish the results — so
every draw verifies (``supervision_verify_draw``). The services judge stages by the day of
``services.common.today``; the demo runs each step on its historical day by setting that clock
(:func:`on_day`), as the tests do, and afterwards dates the rows the services stamp with the
real time (``.update()``; the audit trail keeps the real time of loading). Plan numbers follow the
plan's year: ``plan_create`` numbers by the real year, so each historical plan takes the next
number of its own year and hands the real year's number back in the same transaction (both
sequences stay gap-free).

Random values are named as a real source would be — 中国福利彩票“双色球” of a named issue and day
(Tuesday, Thursday, Sunday) — with made-up numbers derived from the seed and the day, so plans of
the same day share the value. Deterministic from the seed, idempotent (a demo plan is the marker);
``size="small"`` (CI) loads a fifth of the draws (a twentieth of the entities) and of the joint
plans.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, NumberCounter, Region
from onewindow.core.numbering import next_number
from onewindow.market.choices import EntityStatus
from onewindow.market.models import EntityProfile

from .. import services
from ..choices import DrawPlanAction, DrawPlanKind
from ..models import (
    CheckItem,
    DrawFreeze,
    DrawOutcome,
    DrawPlan,
    Inspection,
    JointCheckItem,
    Officer,
)
from . import draw_results
from .draw_results import at, on_day, stamp

JINGAN = "310106"
FIRST_DAY = datetime.date(2016, 10, 9)
LAST_DAY = datetime.date(2017, 8, 24)
AS_OF = datetime.date(2017, 9, 5)
TOTAL_ENTITIES = 5082
JOINT_ENTITIES = 79
SYSTEM = system_actor("demo_data")
TITLE_TAG = "（演示）"

#: (department kind, item codes, GB/T 4754 prefixes of the pool, field, runs, entities per run)
RUNS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str, int, int], ...] = (
    ("SCJG", ("SCJG-003", "SCJG-004"), ("51", "52"), "商标保护", 6, 200),
    ("SCJG", ("SCJG-006", "SCJG-008"), ("52", "62"), "消费维权", 6, 200),
    ("JYJ", ("JYJ-001", "JYJ-002"), ("83",), "经营性教育培训机构", 5, 30),
    ("WJW", ("WJW-001", "WJW-003"), ("61", "80"), "公共场所卫生", 5, 100),
    ("TYJ", ("TYJ-002",), ("89", "83"), "经营性教育培训机构", 3, 20),
    ("WHLY", ("WHLY-001", "WHLY-005"), ("88",), "文化市场", 3, 60),
    ("SWJ", ("SWJ-001",), ("51", "52"), "商贸流通", 3, 150),
    ("FGJ", ("FGJ-002",), ("70",), "房屋管理", 3, 60),
    ("STHJ", ("STHJ-003",), ("62",), "生态环境", 2, 120),
    ("RS", ("RS-001", "RS-002"), ("72",), "劳动保障", 2, 100),
    ("YJ", ("YJ-001",), ("50", "58"), "安全生产", 2, 80),
)
#: The last run in time takes what the others could not (its pool is the largest).
LAST_RUN = 1
#: (lead kind, joint item codes, GB/T 4754 prefixes, industry) of the joint rounds.
JOINT_LEADS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("SCJG", ("LH-001", "LH-002"), ("62",), "餐饮"),
    ("JYJ", ("LH-005", "LH-006", "LH-007"), ("83",), "教育培训"),
    ("RS", ("LH-008", "LH-009"), ("72",), "人力资源中介"),
)
JOINT_ROUNDS = (
    (datetime.date(2017, 3, 5), datetime.date(2017, 3, 31), (4, 3, 3)),
    (datetime.date(2017, 5, 7), datetime.date(2017, 5, 31), (3, 3, 3)),
    (datetime.date(2017, 7, 2), datetime.date(2017, 7, 28), (3, 3, 3)),
)
#: Higher ratios for higher risk (DOMAIN.md R4.6: the ratio per grade is a plan parameter).
GRADE_WEIGHTS = {"A": 1.0, "B": 1.5, "C": 3.0, "D": 5.0, "-": 1.0}
# ---- the clock and the lottery -------------------------------------------------------------------------


@contextmanager
def demo_secret(seed: int, number: str) -> Iterator[None]:
    """The operator's secret of a demo freeze, derived from the seed and the plan number (64 hex
    digits, as ``secrets.token_hex(32)``), so the demo's selections are the same on every load.
    Only for the historical plans, whose secrets are public once closed; the walkthrough's freeze
    draws a real secret."""
    value = hashlib.sha256(f"{seed}-secret-{number}".encode()).hexdigest()
    with mock.patch.object(secrets, "token_hex", lambda nbytes=32: value):
        yield


def is_lottery_day(day: datetime.date) -> bool:
    """双色球 is drawn on Tuesdays, Thursdays and Sundays."""
    return day.weekday() in (1, 3, 6)


def lottery_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [d for n in range((end - start).days + 1) if is_lottery_day(d := start + datetime.timedelta(days=n))]


def lottery(day: datetime.date, seed: int) -> tuple[str, str]:
    """The named source (issue of the year, day) and the made-up numbers of that day's draw."""
    issue = len(lottery_days(datetime.date(day.year, 1, 1), day))
    source = (
        f"中国福利彩票“双色球”第{day.year}{issue:03d}期开奖号码（{day.isoformat()} 开奖，上海福利彩票发行中心公布）"
    )
    rng = random.Random(f"{seed}-lottery-{day.isoformat()}")
    red = " ".join(f"{n:02d}" for n in sorted(rng.sample(range(1, 34), 6)))
    return source, f"{red} + {rng.randint(1, 16):02d}"


# ---- departments, officers and their logins ---------------------------------------------------------------


@dataclass
class Cast:
    departments: dict[str, Department]
    planners: dict[str, User]


def _departments() -> dict[str, Department]:
    kinds = {kind for kind, *_rest in RUNS} | {kind for kind, *_rest in JOINT_LEADS}
    for joint in JointCheckItem.objects.filter(code__in=[c for _k, codes, _i, _n in JOINT_LEADS for c in codes]):
        kinds |= {d.code.rsplit("-", 1)[-1] for d in joint.partner_departments.all()}
    return {d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(code__in=[f"{JINGAN}-{k}" for k in kinds])}


def _planner(department: Department) -> User | None:
    """The department's demo account if it has one, else its first regulator."""
    demo = StaffRole.objects.filter(department=department, valid=True, user__username__startswith="sgz_").first()
    role = demo or (
        StaffRole.objects.filter(department=department, valid=True, role=StaffRoleKind.REGULATOR)
        .order_by("user_id")
        .first()
    )
    return role.user if role is not None else None


def ensure_officers(rng: random.Random, admin: User, departments: dict[str, Department]) -> int:
    """Officers (everywhere in the district) for the departments the supervision demo gave none or
    few, and at least three everywhere in each (so every street has officers to draw), then a login
    for every officer of these departments, so drawn officers record results."""
    from . import _name  # the supervision demo's name generator

    made = 0
    for index, (_kind, department) in enumerate(sorted(departments.items())):
        have = Officer.objects.filter(department=department).count()
        everywhere = Officer.objects.filter(department=department, areas__isnull=True).count()
        for n in range(have, max(10, have + 3 - everywhere)):
            services.officer_create(
                by=admin,
                department_id=department.pk,
                name=_name(rng),
                certificate_number=f"31010621{index + 1:02d}{n + 1:04d}",
                active_from=datetime.date(2016, 1, 1),
                user_id=None,
            )
            made += 1
    officers = Officer.objects.filter(department__in=departments.values(), user__isnull=True).order_by("pk")
    for officer in officers.prefetch_related("areas", "specialties"):
        user = User.objects.create(
            username=f"zf-{officer.certificate_number}",
            first_name=officer.name,
            password=make_password(None),
        )
        services.officer_update(
            by=admin,
            officer_id=officer.pk,
            name=officer.name,
            certificate_number=officer.certificate_number,
            active_from=officer.active_from,
            active_to=officer.active_to,
            specialties=[s.specialty for s in officer.specialties.all()],
            area_ids=[a.pk for a in officer.areas.all()],
            user_id=user.pk,
        )
    return made


def covered_streets(department: Department, day: datetime.date, need: int) -> list[str]:
    """Streets where more than ``need`` of the department's officers may go on ``day`` (one spare
    for a declared conflict), so that the freeze never refuses an entity for want of officers."""
    officers = Officer.objects.filter(department=department, active_from__lte=day).filter(
        Q(active_to__isnull=True) | Q(active_to__gte=day)
    )
    everywhere = officers.filter(areas__isnull=True).count()
    streets = Region.objects.filter(parent__code=JINGAN, level="street").order_by("code")
    counts = {s.code: everywhere for s in streets}
    for code in officers.values_list("areas__code", flat=True):
        if code in counts:
            counts[code] += 1
    return [code for code, n in counts.items() if n > need]


# ---- one plan through the stages -----------------------------------------------------------------------------


def available(streets: list[str], industries: tuple[str, ...]) -> dict[str, int]:
    """Entities per risk grade the freeze would pool (active, in the streets and industries, not
    inspected before: every demo inspection is within the 12 months a plan excludes)."""
    qs = EntityProfile.objects.filter(status=EntityStatus.ACTIVE, street__code__in=streets)
    industry = Q()
    for prefix in industries:
        industry |= Q(industry__code__startswith=prefix)
    qs = qs.filter(industry).exclude(organization_id__in=Inspection.objects.values("organization_id"))
    sizes: dict[str, int] = {}
    for grade in qs.values_list("risk_grade", flat=True):
        sizes[grade or "-"] = sizes.get(grade or "-", 0) + 1
    return sizes


def quotas(sizes: dict[str, int], wanted: int) -> dict[str, int]:
    """``wanted`` entities over the grades, weighted towards high risk (largest remainder), each at
    most half its stratum while the pool allows."""
    weights = {g: n * GRADE_WEIGHTS.get(g, 1.0) for g, n in sizes.items() if n}
    total = sum(weights.values())
    if not total:
        return {}
    raw = {g: wanted * w / total for g, w in weights.items()}
    counts = {g: min(int(r), sizes[g] // 2) for g, r in raw.items()}
    order = sorted(raw, key=lambda g: (raw[g] - int(raw[g]), g), reverse=True)
    for share in (2, 1):  # up to half a stratum, then (a small pool) all of it
        while sum(counts.values()) < wanted and any(counts[g] < sizes[g] // share for g in order):
            for g in order:
                if sum(counts.values()) < wanted and counts[g] < sizes[g] // share:
                    counts[g] += 1
    return {g: c for g, c in sorted(counts.items()) if c}


def renumber(plan: DrawPlan, year: int) -> None:
    """Number a historical plan in its own year's sequence; hand the real year's number back."""
    current = f"supervision.draw_plan.{timezone.localdate().year}"
    if year == timezone.localdate().year:
        return
    plan.number = f"SC{year}{next_number(f'supervision.draw_plan.{year}'):06d}"
    plan.save(update_fields=["number"])
    NumberCounter.objects.filter(scope=current).update(value=F("value") - 1)


@dataclass
class Step:
    kind: str
    items: tuple[str, ...]
    industries: tuple[str, ...]
    field: str
    wanted: int
    day: datetime.date  # the random value's day
    joint: str = ""


def run_plan(step: Step, cast: Cast, seed: int, rng: random.Random, *, close: bool) -> DrawPlan | None:
    """Create, publish, freeze and draw one plan on its days; results, close and publication when
    ``close``. None when its pool is empty."""
    department = cast.departments[step.kind]
    planner = cast.planners[step.kind]
    joint = JointCheckItem.objects.filter(code=step.joint).first() if step.joint else None
    partners = list(joint.partner_departments.all()) if joint else []
    per = 2
    streets = set(covered_streets(department, step.day, per))
    for partner in partners:
        streets &= set(covered_streets(partner, step.day, per))
    sizes = available(sorted(streets), step.industries)
    counts = quotas(sizes, step.wanted)
    if not counts:
        return None
    source, value = lottery(step.day, seed)
    created = step.day - datetime.timedelta(days=10)
    items = list(CheckItem.objects.filter(department=department, code__in=step.items).values_list("pk", flat=True))
    with on_day(created):
        plan = services.plan_create(
            by=planner,
            department_id=department.pk,
            title=f"{step.day.year}年{step.field}{'联合检查' if joint else '双随机抽查'}{TITLE_TAG}",
            kind=DrawPlanKind.JOINT if joint else DrawPlanKind.RANDOM,
            item_ids=[] if joint else items,
            joint_item_id=joint.pk if joint else None,
            pool_filter={"regions": sorted(streets), "industries": list(step.industries)},
            counts=counts,
            officers_per_department=per,
            random_source=source,
            random_expected_on=step.day,
            inspection_ends_on=step.day + datetime.timedelta(days=30),
        )
        renumber(plan, created.year)
        DrawPlan.objects.filter(pk=plan.pk).update(created_at=at(created, 10))
        services.plan_publish(by=planner, plan_id=plan.pk)
        stamp(plan, DrawPlanAction.PUBLISH, at(created + datetime.timedelta(days=1), 9, 30))
        DrawPlan.objects.filter(pk=plan.pk).update(published_at=at(created + datetime.timedelta(days=1), 9, 30))
    frozen = step.day - datetime.timedelta(days=2)
    with on_day(frozen), demo_secret(seed, plan.number):
        services.plan_freeze(by=planner, plan_id=plan.pk)
        stamp(plan, DrawPlanAction.FREEZE, at(frozen, 10), frozen_at=at(frozen, 10))
        DrawFreeze.objects.filter(plan=plan).update(frozen_at=at(frozen, 10))
    drawn = step.day + datetime.timedelta(days=1)
    with on_day(drawn):
        services.plan_draw(by=planner, plan_id=plan.pk, random_value=value)
        stamp(plan, DrawPlanAction.DRAW, at(drawn, 9, 30), drawn_at=at(drawn, 9, 30))
        DrawOutcome.objects.filter(plan=plan).update(drawn_at=at(drawn, 9, 30))
        Inspection.objects.filter(plan=plan).update(created_at=at(drawn, 9, 30))
    if close:
        plan.refresh_from_db()
        if joint:
            draw_results.record_results(plan, drawn, rng)
        else:
            draw_results.write_results(plan, drawn, rng)
        draw_results.close_plan(plan, planner, rng)
    return plan


# ---- the schedule ----------------------------------------------------------------------------------------------


def random_steps(rng: random.Random, scale: int) -> list[Step]:
    """The 40 draws (a fifth when small) over the lottery days of the year, the largest pool last;
    the sizes add up to 5,082 (a twentieth when small) once the last takes the rest."""
    runs = [run for run in RUNS for _ in range(run[4])]
    last = runs.pop(runs.index(RUNS[LAST_RUN]))
    rng.shuffle(runs)
    runs = [*runs[: 40 // scale - 1], last]
    days = lottery_days(FIRST_DAY, LAST_DAY)
    picks = [days[round(i * (len(days) - 1) / (len(runs) - 1))] for i in range(len(runs))]
    total = random_total(scale)
    weight = sum(r[5] for r in runs)
    return [
        Step(kind, items, industries, field, round(total * per / weight), day)
        for (kind, items, industries, field, _n, per), day in zip(runs, picks, strict=True)
    ]


def random_total(scale: int) -> int:
    return TOTAL_ENTITIES // (scale * 4 if scale > 1 else 1)


def joint_steps(rng: random.Random, scale: int) -> list[Step]:
    """28 joint plans (a fifth when small) over 3 rounds: 79 entities (a fifth), 2 or 3 each."""
    steps: list[Step] = []
    for start, end, per_lead in JOINT_ROUNDS:
        days = lottery_days(start, end)
        for (kind, codes, industries, industry), count in zip(JOINT_LEADS, per_lead, strict=True):
            for n in range(count):
                steps.append(Step(kind, (), industries, industry, 3, rng.choice(days), joint=codes[n % len(codes)]))
    steps = steps[::scale]
    for step in steps[: len(steps) * 3 - JOINT_ENTITIES // scale]:
        step.wanted = 2
    return steps


def walkthrough(cast: Cast, seed: int) -> DrawPlan:
    """A plan of 静安区市场监管局 published today, its random value named for tomorrow."""
    today = timezone.localdate()
    day = today + datetime.timedelta(days=1)
    while not is_lottery_day(day):
        day += datetime.timedelta(days=1)
    source, _value = lottery(day, seed)
    department = cast.departments["SCJG"]
    planner = cast.planners["SCJG"]
    streets = covered_streets(department, today, 2)
    counts = quotas(available(streets, ("52", "62")), 30)
    plan = services.plan_create(
        by=planner,
        department_id=department.pk,
        title=f"{day.year}年预付式消费和明码标价双随机抽查（演示：待冻结）",
        item_ids=list(
            CheckItem.objects.filter(department=department, code__in=["SCJG-008", "SCJG-014"]).values_list(
                "pk", flat=True
            )
        ),
        pool_filter={"regions": streets, "industries": ["52", "62"]},
        counts=counts,
        random_source=source,
        random_expected_on=day,
        inspection_ends_on=day + datetime.timedelta(days=30),
    )
    services.plan_publish(by=planner, plan_id=plan.pk)
    return plan


def walkthrough_frozen(cast: Cast, seed: int) -> DrawPlan:
    """A plan of 静安区市场监管局 published and frozen on the eve of the latest lottery day (today or
    before), so its random value exists: the walkthrough enters it and draws. The value (made-up
    numbers, as every demo value) is in the title, since a demo user cannot look it up."""
    today = timezone.localdate()
    day = today
    while not is_lottery_day(day):
        day -= datetime.timedelta(days=1)
    eve = day - datetime.timedelta(days=1)
    source, value = lottery(day, seed)
    department = cast.departments["SCJG"]
    planner = cast.planners["SCJG"]
    streets = covered_streets(department, today, 2)
    counts = quotas(available(streets, ("51", "52")), 20)
    with on_day(eve - datetime.timedelta(days=1)):
        plan = services.plan_create(
            by=planner,
            department_id=department.pk,
            title=f"{day.year}年注册商标使用行为双随机抽查（演示：名录已冻结，待录入随机数 {value}）",
            item_ids=list(
                CheckItem.objects.filter(department=department, code__in=["SCJG-003"]).values_list("pk", flat=True)
            ),
            pool_filter={"regions": streets, "industries": ["51", "52"]},
            counts=counts,
            random_source=source,
            random_expected_on=day,
            inspection_ends_on=today + datetime.timedelta(days=30),
        )
        services.plan_publish(by=planner, plan_id=plan.pk)
    with on_day(eve):
        services.plan_freeze(by=planner, plan_id=plan.pk)
    before = eve - datetime.timedelta(days=1)
    DrawPlan.objects.filter(pk=plan.pk).update(created_at=at(before, 10))
    stamp(plan, DrawPlanAction.PUBLISH, at(before, 15, 30), published_at=at(before, 15, 30))
    stamp(plan, DrawPlanAction.FREEZE, at(eve, 10), frozen_at=at(eve, 10))
    DrawFreeze.objects.filter(plan=plan).update(frozen_at=at(eve, 10))
    return plan


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> dict[str, int]:
    """Load the demo's draws once (see the module docstring); what was made."""
    if DrawPlan.objects.filter(title__endswith=TITLE_TAG).exists():
        return {}
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    registry = EntityProfile.objects.filter(district__code=JINGAN, status=EntityStatus.ACTIVE)
    if admin is None or not registry.exists() or not CheckItem.objects.exists():
        return {}  # the market demo's registry and the item lists come first
    scale = 5 if size == "small" else 1
    rng = random.Random(seed + 12)
    with transaction.atomic():
        departments = _departments()
        planners = {kind: user for kind, d in departments.items() if (user := _planner(d)) is not None}
        cast = Cast(departments, planners)
        officers = ensure_officers(rng, admin, departments)
        draws, joints = random_steps(rng, scale), joint_steps(rng, scale)
        made = {"officers": officers, "plans": 0, "entities": 0, "joint_plans": 0, "joint_entities": 0}
        carry = 0
        for step in sorted([*draws, *joints], key=lambda s: (s.day, s.joint)):
            if step.kind not in planners:
                continue
            final = step is draws[-1]
            if final:
                step.wanted = random_total(scale) - made["entities"]
            elif step.joint:
                step.wanted += carry  # what an earlier group's small pool could not give
            plan = run_plan(step, cast, seed, rng, close=not final)
            got = plan.inspections.count() if plan is not None else 0
            if step.joint:
                carry = step.wanted - got
            key = "joint_" if step.joint else ""
            made[f"{key}plans"] += plan is not None
            made[f"{key}entities"] += got
            progress(1)
        if "SCJG" in planners:
            walkthrough(cast, seed)
            walkthrough_frozen(cast, seed)
            made["walkthrough"] = 2
    return made
