"""Demo data of the supervision platform of 静安区 (issue #11; the seed's figures, shared/seed/figures.json
→ supervision), called by ``onewindow demo_data`` after the market demo.

1. **Users**: 1,637 users of the platform (监管人员 and 数据报送员) spread over 静安区's departments
   (30 once the market demo has added its 15 to the catalog's 15; the ones that exist otherwise),
   counting those other demos already made. Most cannot log in (``set_unusable_password``,
   ``bulk_create``), so they load in seconds; three demo accounts have known passwords.
2. **Officers** (执法人员名录库) per department, through the services, with a few declared conflicts.
3. **Rules**: the 双告知 mapping table (``demo.rules``), through the services.
4. **History**: exactly 11,336 notices received by departments and 5,347 answered, dated
   2016-08-15 … 2017-09-05 (``demo.history``), less what the market demo's registrations made.
5. **Stories** through the real listener: a catering and entertainment company registered today,
   whose tasks wait in the demo accounts' queues, and a software company in the 认领 pool.

Idempotent (a loaded history is the marker) and deterministic from the seed; ``size="small"``
(CI) loads a twentieth of the users and of the history.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Organization, StaffRole, User
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import WorkingDays
from onewindow.core.models import Department, Region
from onewindow.market.listeners import EntityChange
from onewindow.market.models import EntityProfile

from .. import services
from ..choices import ConflictRelation, Specialty, TaskStatus
from ..models import Alert, DualNoticeTask, Officer
from ..services.dispatch import active_rules, dual_notice_dispatch
from . import alerts as demo_alerts
from . import draws as demo_draws
from . import history
from . import item_lists as demo_item_lists
from . import rules as demo_rules

JINGAN = "310106"
TARGET_USERS = 1637
TARGET_RECEIVED = 11336
TARGET_ANSWERED = 5347
ACTOR = system_actor("demo_data")
# username, password, label, role, department kind
ACCOUNTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("sgz_scjg", "regulator-demo-2017", "监管人员 regulator (静安区市场监管局)", StaffRoleKind.REGULATOR, "scjg"),
    ("sgz_clerk", "dataclerk-demo-2017", "数据报送员 data clerk (静安区市场监管局)", StaffRoleKind.DATA_CLERK, "scjg"),
    ("sgz_whly", "culture-demo-2017", "监管人员 regulator (静安区文化旅游局)", StaffRoleKind.REGULATOR, "whly"),
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "玉兰",
    "志强",
    "晓东",
    "海燕",
    "建国",
    "立新",
    "春梅",
    "振华",
    "卫东",
)
#: Departments that are heavier users of the platform (market regulation most of all).
USER_WEIGHTS = {
    "scjg": 10,
    "whly": 3,
    "wjw": 3,
    "zjw": 3,
    "yj": 2,
    "jyj": 2,
    "rs": 2,
    "swj": 2,
    "sthj": 2,
    "fgj": 2,
    "lhsr": 2,
}
SPECIALTIES_BY_KIND = {
    "scjg": [
        Specialty.REGISTRATION,
        Specialty.FOOD,
        Specialty.PRODUCT_QUALITY,
        Specialty.SPECIAL_EQUIPMENT,
        Specialty.ADVERTISING,
        Specialty.PRICING,
        Specialty.INTELLECTUAL_PROPERTY,
        Specialty.DRUG,
    ],
    "whly": [Specialty.CULTURE],
    "wjw": [Specialty.HEALTH],
    "zjw": [Specialty.CONSTRUCTION],
    "yj": [Specialty.SAFETY],
    "jyj": [Specialty.EDUCATION],
    "sthj": [Specialty.ENVIRONMENT],
    "fgj": [Specialty.HOUSING],
}


def jingan_departments() -> list[Department]:
    """静安区's district departments (the platform's users work there)."""
    return list(
        Department.objects.filter(region__code=JINGAN, level="district", is_active=True).order_by("sort_order", "id")
    )


def _kind(department: Department) -> str:
    return department.code.rsplit("-", 1)[-1].lower() if department.code.startswith(f"{JINGAN}-") else ""


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _shares(departments: list[Department], total: int) -> list[int]:
    """``total`` users over the departments by weight, largest remainder, at least one each."""
    weights = [USER_WEIGHTS.get(_kind(d), 1) for d in departments]
    raw = [total * w / sum(weights) for w in weights]
    shares = [max(1, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(shares) < total:
        shares[order[i % len(order)]] += 1
        i += 1
    while sum(shares) > total:
        j = max(range(len(shares)), key=lambda k: shares[k])
        shares[j] -= 1
    return shares


def platform_user_ids() -> set[int]:
    return set(
        StaffRole.objects.filter(valid=True, role__in=(StaffRoleKind.REGULATOR, StaffRoleKind.DATA_CLERK)).values_list(
            "user_id", flat=True
        )
    )


def load_users(rng: random.Random, departments: list[Department], target: int, admin: User | None) -> int:
    """The demo accounts, then unusable-password users up to ``target`` platform users in all."""
    by_kind = {_kind(d): d for d in departments}
    made = 0
    for username, password, _label, role, kind in ACCOUNTS:
        department = by_kind.get(kind) or departments[0]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, password=password, first_name=_name(rng))
            made += 1
        if not StaffRole.objects.filter(user=user, role=role, department=department, valid=True).exists():
            StaffRole.objects.create(user=user, role=role, department=department, granted_by=admin)
    missing = target - len(platform_user_ids())
    if missing <= 0:
        return made
    users, roles = [], []
    for department, share in zip(departments, _shares(departments, missing), strict=True):
        prefix = f"jga-{_kind(department) or department.pk}"
        taken = User.objects.filter(username__startswith=prefix + "-").count()
        for n in range(share):
            user = User(
                username=f"{prefix}-{taken + n + 1:04d}",
                first_name=_name(rng),
                is_active=True,
                password=make_password(None),
            )
            users.append(user)
            role = StaffRoleKind.DATA_CLERK if n % 6 == 5 else StaffRoleKind.REGULATOR
            roles.append(StaffRole(user=user, role=role, department=department, granted_by=admin))
    User.objects.bulk_create(users, batch_size=1000)
    StaffRole.objects.bulk_create(roles, batch_size=1000)
    return made + len(users)


def load_officers(rng: random.Random, departments: list[Department], admin: User, organizations: list[int]) -> int:
    """Officers of the departments that enforce (执法证 holders), through the services."""
    if Officer.objects.exists():
        return 0
    streets = list(Region.objects.filter(parent__code=JINGAN, level="street").order_by("code"))
    linked = {u.username: u for u in User.objects.filter(username__in=["sgz_scjg", "sgz_whly"])}
    made = 0
    for d_index, department in enumerate(departments):
        kind = _kind(department)
        specialties = SPECIALTIES_BY_KIND.get(kind)
        if not specialties:
            continue
        count = 40 if kind == "scjg" else 12
        for n in range(count):
            user = linked.pop("sgz_scjg" if kind == "scjg" else "sgz_whly", None) if n == 0 else None
            officer = services.officer_create(
                by=admin,
                department_id=department.pk,
                name=user.first_name if user else _name(rng),
                certificate_number=f"31010620{d_index + 1:02d}{n + 1:04d}",
                active_from=datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(200)),
                active_to=datetime.date(2017, 12, 31) if n % 15 == 14 else None,
                specialties=rng.sample(specialties, min(len(specialties), rng.randint(1, 3))),
                area_ids=[s.pk for s in rng.sample(streets, min(len(streets), 3))],
                user_id=user.pk if user else None,
            )
            made += 1
            if organizations and n % 10 == 3:
                services.officer_conflict_declare(
                    by=admin,
                    officer_id=officer.pk,
                    organization_id=rng.choice(organizations),
                    relation=rng.choice(ConflictRelation.values),
                    note="演示数据",
                )
    return made


def _organizations(rng: random.Random, wanted: int) -> tuple[list[Organization], dict[str, list[int]]]:
    """Entities of 静安区 for the notices (the market demo's), made up where there are too few."""
    orgs = list(Organization.objects.filter(region__code__startswith=JINGAN).order_by("pk"))
    by_division: dict[str, list[int]] = {}
    if len(orgs) < wanted:
        made, by_division = history.make_organizations(
            rng, wanted - len(orgs), Region.objects.filter(code=JINGAN).first()
        )
        orgs += made
    for org_id, code in EntityProfile.objects.filter(district__code=JINGAN).values_list(
        "organization_id", "industry__code"
    ):
        if code[:2].isdigit():
            by_division.setdefault(code[:2], []).append(org_id)
    return orgs, by_division


def load_history(rng: random.Random, scale: int, departments: list[Department]) -> dict[str, int]:
    received_now = DualNoticeTask.objects.filter(department__isnull=False).count()
    answered_now = DualNoticeTask.objects.filter(status=TaskStatus.ANSWERED).count()
    story_tasks = 2
    target = max(0, TARGET_RECEIVED // scale - received_now - story_tasks)
    answered = max(0, min(TARGET_ANSWERED // scale - answered_now, target))
    rule_rows = active_rules()
    days = WorkingDays(history.FIRST, history.AS_OF + datetime.timedelta(days=60))
    matched = history.match_templates(rule_rows)
    plans = history.plan_notices(rng, matched, target, days)
    orgs, by_division = _organizations(rng, int(len(plans) * 0.9) + 50)
    history.assign_organizations(rng, plans, orgs, by_division)
    notices = history.write_notices(plans, matched)
    by_kind = {_kind(d): d.pk for d in departments}
    claimers = [pk for pk in (by_kind.get("scjg"), by_kind.get("swj"), by_kind.get("fgw")) if pk]
    users: dict[int, list[tuple[int, str]]] = {}
    for pk, department_id, label in (
        StaffRole.objects.filter(
            valid=True, role__in=(StaffRoleKind.REGULATOR, StaffRoleKind.DATA_CLERK), department__isnull=False
        )
        .values_list("user_id", "department_id", "user__first_name")
        .order_by("user_id")
    ):
        users.setdefault(department_id, []).append((pk, label))
    names = dict(
        Department.objects.filter(pk__in={d for m in matched for d in m.groups if d is not None}).values_list(
            "pk", "name"
        )
    )
    actors = history.Actors(users, claimers, names)
    tasks, events = history.build_tasks(rng, plans, notices, matched, actors, answered, days)
    history.write(tasks, events)
    return {"notices": len(notices), "tasks": len(tasks), "events": len(events)}


def load_stories(admin: User | None) -> None:
    """Two registrations of today through the real listener: tasks in the demo accounts' queues."""
    district = Region.objects.filter(code=JINGAN).first()
    for code, name, scope, industry in (
        ("91310106MA1FL0A01X", "上海静安星光餐饮娱乐有限公司", "正餐服务；歌舞娱乐活动；食品销售", "6210"),
        ("91310106MA1FL0A02X", "上海静安云启信息科技有限公司", "软件开发；技术咨询", "6513"),
    ):
        org = Organization.objects.filter(name=name).first()
        if org is None:
            from onewindow.accounts.sample_identifiers import sample_credit_code

            org = Organization.objects.create(
                credit_code=sample_credit_code(JINGAN, random.Random(code)),
                name=name,
                region=district,
                created_by=admin,
            )
        dual_notice_dispatch(
            EntityChange(
                organization_id=org.pk,
                credit_code=org.credit_code,
                kind="registered",
                industry_code=industry,
                business_scope=scope,
                previous_scope="",
                region_code="310106021",
                at=timezone.now(),
            )
        )


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> list[tuple[str, str, str]]:
    """Load the supervision demo once (see the module docstring); the demo accounts to print."""
    accounts = [(username, password, label) for username, password, label, _r, _k in ACCOUNTS]
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is not None:  # idempotent on its own, so an older demo database gains the lists
        with transaction.atomic():
            progress(demo_item_lists.load(admin))
    if DualNoticeTask.objects.filter(notified_on__lte=history.AS_OF).exists():
        progress(DualNoticeTask.objects.count())
        demo_draws.load(progress, seed, size)
        load_demo_alerts(progress)
        return accounts
    scale = 20 if size == "small" else 1
    rng = random.Random(seed + 11)
    departments = jingan_departments()
    if not departments:
        raise RuntimeError("静安区 departments missing (load the catalog demo data first)")
    with transaction.atomic():
        users = load_users(rng, departments, TARGET_USERS // scale, admin)
        progress(users)
        if admin is not None:
            demo_rules.seed(admin)
        made = load_history(rng, scale, departments)
        progress(made["tasks"])
        load_stories(admin)
        officers = 0
        if admin is not None:
            sample = list(
                Organization.objects.filter(region__code__startswith=JINGAN).values_list("pk", flat=True)[:500]
            )
            officers = load_officers(rng, departments, admin, sample)
        progress(officers)
        counts = dict(DualNoticeTask.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        audit_record(
            actor=ACTOR,
            action="supervision.demo_load",
            target=None,
            channel="system",
            after={
                "users": users,
                "officers": officers,
                **made,
                "statuses": counts,
                "departments": len(departments),
                "seed": seed,
                "size": size,
            },
        )
    demo_draws.load(progress, seed, size)  # the 双随机 draws and joint inspections (idempotent)
    load_demo_alerts(progress)
    return accounts


#: The demo's 监管预警 rules. ``licence_missing`` is left to the daily scan: the history's 5,989
#: unanswered 双告知 tasks of 2016–17 would each raise one, burying the others in a walkthrough.
DEMO_ALERT_RULES = ("licence_expiring", "repeated_penalties", "new_sanction", "rectification_overdue")


def load_demo_alerts(progress: Callable[[int], object]) -> None:
    """监管预警 as of the history's last day (issue #12: alerts appear for the demo's expiring
    licences), once: after the draws, so overdue rectifications are found too."""
    if Alert.objects.exists():
        return
    with transaction.atomic():
        demo_alerts.load_alerts(progress, only=DEMO_ALERT_RULES)
