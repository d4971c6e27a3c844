"""The demo's 双告知 history of 静安区, 2016-08-15 (the platform went live) to 2017-09-05 (the seed's
figures: 11,336 notices received by departments, 5,347 answered).

Written with ``bulk_create`` but as the services would have written it: each registration or
change of scope is matched against the rules by the same code (``rules.rules_to_notify``), its
notice lists the licences with their guides (``dispatch.licence_entry``), one task per competent
department and one 认领 task where no department is clear; notice numbers are gap-free per year
with the core counter set to the last one; due dates are N working days after the notice on the
working-day calendar. Departments answer most tasks within the limit, a quarter late; pool tasks
are claimed by 静安区's market-regulation bureau (the registrar, 谁主管谁监管) or its commerce
commission, except those of the last days, which still wait in the pool. One timeline event per
step, by a user of the acting department. The sweeps of those years are taken as run: open tasks
carry their reminder and overdue marks, so the reminder job does not fire for history.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from onewindow.accounts.choices import OrganizationKind
from onewindow.accounts.models import Organization
from onewindow.accounts.sample_identifiers import sample_credit_code
from onewindow.core.calendar import WorkingDays, add_working_days
from onewindow.core.locks import lock_or_create
from onewindow.core.models import NumberCounter, Region

from .. import deadlines, rules
from ..choices import Answer, TaskAction, TaskStatus
from ..models import DualNotice, DualNoticeTask, DualNoticeTaskEvent, LicenceRule
from ..services.dispatch import group_by_department, licence_entry

FIRST = datetime.date(2016, 8, 15)
AS_OF = datetime.date(2017, 9, 5)
BATCH = 2000

#: (weight, GB/T 4754-2017 class, business scope, a word for generated company names)
TEMPLATES: tuple[tuple[int, str, str, str], ...] = (
    (30, "6210", "正餐服务；食品销售（仅销售预包装食品）", "餐饮管理"),
    (14, "6220", "快餐服务；食品经营", "快餐"),
    (10, "6232", "咖啡馆服务；食品销售（仅销售预包装食品）", "咖啡"),
    (4, "6233", "酒吧服务；酒类零售；餐饮服务", "酒吧管理"),
    (12, "5212", "日用百货、预包装食品销售；卷烟零售", "便利店"),
    (5, "5251", "药品零售；第三类医疗器械经营", "大药房"),
    (3, "9011", "歌舞娱乐活动；餐饮服务", "娱乐"),
    (2, "9013", "互联网上网服务；预包装食品销售", "网络科技"),
    (3, "7291", "国内旅游业务；入境旅游业务；票务代理", "国际旅行社"),
    (2, "8810", "营业性演出；演出经纪", "文化传播"),
    (2, "5243", "出版物零售；文具用品销售", "书店"),
    (2, "5169", "危险化学品经营（不带储存设施）；化工原料及产品销售", "化工贸易"),
    (3, "8411", "医疗服务；门诊服务", "门诊部"),
    (6, "8051", "美容服务；美发服务", "美容美发"),
    (4, "6110", "住宿服务；餐饮服务", "酒店管理"),
    (4, "5431", "道路货物运输（不含危险货物）；货物仓储", "物流"),
    (4, "5011", "建筑装饰工程；建设工程施工", "建筑装饰工程"),
    (4, "8399", "非学历教育培训；教育咨询", "教育培训"),
    (3, "7262", "职业中介；劳务派遣", "人力资源"),
    (1, "7299", "拍卖业务；艺术品销售", "拍卖"),
    (2, "8222", "动物诊疗；宠物用品销售", "宠物医院"),
    (8, "6513", "软件开发；技术咨询；技术服务", "信息科技"),
    (4, "7241", "会计服务；税务咨询", "财务咨询"),
    (1, "5174", "燃气经营（瓶装）；五金交电销售", "燃气"),
)
BRANDS = (
    "静和",
    "嘉禾",
    "恒丰",
    "瑞安",
    "新闸",
    "大宁",
    "彭浦",
    "芷江",
    "天目",
    "宝山路",
    "南京西",
    "江宁",
    "石门",
    "曹家渡",
    "汇鑫",
    "鼎盛",
    "华亿",
    "锦程",
    "海纳",
    "联创",
    "永盛",
    "金桥",
    "明德",
    "合众",
    "安泰",
    "万通",
    "富民",
    "同福",
    "久光",
    "常德",
)
SECOND = (
    "源",
    "达",
    "兴",
    "泰",
    "德",
    "华",
    "盛",
    "鑫",
    "宏",
    "昌",
    "丰",
    "信",
    "诚",
    "和",
    "安",
    "隆",
    "祥",
    "益",
    "通",
    "元",
)
STREETS = ("006", "011", "012", "013", "014", "015", "016", "017", "018", "019", "020", "021", "022", "101")
ANSWERS = (
    (Answer.APPLIED, 35, "已受理许可申请"),
    (Answer.ISSUED, 25, "已核发许可证"),
    (Answer.INSPECTED, 20, "已现场核查，未发现无证经营"),
    (Answer.NOT_NEEDED, 15, "经核实，实际经营项目无需许可"),
    (Answer.NOT_FOUND, 5, "经现场核查，登记住所查无此主体"),
)
NEUTRAL_SCOPE = "企业管理咨询；商务信息咨询"


@dataclass
class NoticePlan:
    template: int
    day: datetime.date
    at: datetime.datetime
    organization_id: int = 0
    entity_name: str = ""
    credit_code: str = ""
    kind: str = "registered"
    pool_claimed: bool = True
    tasks: list[DualNoticeTask] = field(default_factory=list)


@dataclass
class Matched:
    entries: list[dict[str, Any]]
    groups: dict[int | None, list[str]]

    @property
    def departments(self) -> int:
        return sum(1 for d in self.groups if d is not None)

    @property
    def pool(self) -> bool:
        return None in self.groups


def match_templates(rule_rows: list[LicenceRule]) -> list[Matched]:
    result = []
    for _w, industry, scope, _name in TEMPLATES:
        chosen = rules.rules_to_notify(
            rule_rows,
            kind="registered",
            industry_code=industry,
            scope=scope,
            previous_scope="",
            region_code="310106012",
        )
        entries = [licence_entry(rule) for rule in chosen]
        result.append(Matched(entries, group_by_department(entries) or {None: []}))
    return result


def _workdays(days: WorkingDays) -> list[datetime.date]:
    day, out = FIRST, []
    while day <= AS_OF:
        if days.working(day):
            out.append(day)
        day += datetime.timedelta(days=1)
    return out


def plan_notices(rng: random.Random, matched: list[Matched], target: int, days: WorkingDays) -> list[NoticePlan]:
    """Templates and dates whose department tasks (pushed, or claimed from the pool) add up to
    exactly ``target``; pool tasks of the last ten days stay unclaimed."""
    weights = [t[0] for t in TEMPLATES]
    single = [i for i, m in enumerate(matched) if m.departments == 1 and not m.pool]
    workdays = _workdays(days)
    late = AS_OF - datetime.timedelta(days=10)
    plans: list[NoticePlan] = []
    received = 0
    while received < target:
        index = rng.choices(range(len(TEMPLATES)), weights)[0]
        m = matched[index]
        count = m.departments + (1 if m.pool else 0)
        if received + count > target:
            index, count = rng.choice(single), 1
        day = rng.choice(workdays)
        plan = NoticePlan(index, day, _moment(rng, day))
        if matched[index].pool and day > late and rng.random() < 0.8:
            plan.pool_claimed = False
            count -= 1
        plans.append(plan)
        received += count
    plans.sort(key=lambda p: (p.at, p.template))
    return plans


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(9, 0)) + datetime.timedelta(minutes=rng.randrange(480))
    return timezone.make_aware(naive)


def make_organizations(
    rng: random.Random, count: int, region: Region | None
) -> tuple[list[Organization], dict[str, list[int]]]:
    """Demo entities of 静安区 when the market demo made too few, named for a business of the
    templates (by weight), with the GB/T 4754 division each was named for."""
    weights = [t[0] for t in TEMPLATES]
    names = [f"上海{a}{b}" for a in BRANDS for b in SECOND]
    rng.shuffle(names)
    made, divisions = [], []
    for n in range(count):
        index = rng.choices(range(len(TEMPLATES)), weights)[0]
        made.append(
            Organization(
                credit_code=sample_credit_code("310106", rng),
                kind=OrganizationKind.ENTERPRISE,
                name=f"{names[n % len(names)]}{TEMPLATES[index][3]}有限公司",
                legal_representative_name="",
                region=region,
            )
        )
        divisions.append(TEMPLATES[index][1][:2])
    Organization.objects.bulk_create(made, batch_size=BATCH)
    by_division: dict[str, list[int]] = {}
    for org, division in zip(made, divisions, strict=True):
        by_division.setdefault(division, []).append(org.pk)
    return made, by_division


def assign_organizations(
    rng: random.Random, plans: list[NoticePlan], organizations: list[Organization], by_division: dict[str, list[int]]
) -> None:
    """Each notice to an entity: one of the same GB/T 4754 division where the registry knows the
    industries, a fresh one (设立登记) for most, an earlier one (经营范围变更) for about 15 %."""
    by_id = {o.pk: o for o in organizations}
    total = len(organizations)
    fresh = [o.pk for o in organizations]
    rng.shuffle(fresh)
    division_fresh = {k: list(v) for k, v in by_division.items()}
    used: list[int] = []
    taken: set[int] = set()
    for plan in plans:
        division = TEMPLATES[plan.template][1][:2]
        pk = 0
        if used and (rng.random() < 0.15 or len(taken) >= total):
            pk = rng.choice(used)
            plan.kind = "scope_changed"
        else:
            pool = division_fresh.get(division) or []
            while pool and pool[-1] in taken:
                pool.pop()
            if pool:
                pk = pool.pop()
            else:
                while fresh and fresh[-1] in taken:
                    fresh.pop()
                pk = fresh.pop() if fresh else rng.choice(used)
            if pk in taken:
                plan.kind = "scope_changed"
            taken.add(pk)
            used.append(pk)
        org = by_id[pk]
        plan.organization_id, plan.entity_name, plan.credit_code = pk, org.name, org.credit_code


def _counter(year: int, count: int) -> int:
    """Reserve ``count`` numbers of ``year``; the first one (the counter is left at the last)."""
    row = lock_or_create(NumberCounter, scope=f"supervision.dual_notice:{year}")
    first = row.value + 1
    row.value += count
    row.save(update_fields=["value"])
    return first


def write_notices(plans: list[NoticePlan], matched: list[Matched]) -> list[DualNotice]:
    years: dict[int, int] = {}
    for plan in plans:
        years[plan.day.year] = years.get(plan.day.year, 0) + 1
    next_no = {year: _counter(year, n) for year, n in sorted(years.items())}
    notices = []
    for plan in plans:
        year = plan.day.year
        number, next_no[year] = next_no[year], next_no[year] + 1
        _w, industry, scope, _name = TEMPLATES[plan.template]
        notices.append(
            DualNotice(
                number=f"SGZ-{year}-{number:06d}",
                organization_id=plan.organization_id,
                credit_code=plan.credit_code,
                entity_name=plan.entity_name,
                change_kind=plan.kind,
                industry_code=industry,
                business_scope=scope,
                region_code="310106" + STREETS[plan.organization_id % len(STREETS)],
                licences=matched[plan.template].entries,
                changed_at=plan.at,
                notified_on=plan.day,
                created_at=plan.at,
            )
        )
    return DualNotice.objects.bulk_create(notices, batch_size=BATCH)


@dataclass
class Actors:
    """Who acts for each department in the history: (user id, label) of its platform users."""

    users: dict[int, list[tuple[int, str]]]
    claimers: list[int]
    names: dict[int, str]

    def pick(self, rng: random.Random, department_id: int) -> tuple[int | None, str]:
        """A platform user of the department, or (no user there: a city body) the department."""
        people = self.users.get(department_id)
        return rng.choice(people) if people else (None, self.names.get(department_id, "")[:100])


def _stamp(rng: random.Random, day: datetime.date) -> datetime.datetime:
    return _moment(rng, min(day, AS_OF))


def build_tasks(
    rng: random.Random,
    plans: list[NoticePlan],
    notices: list[DualNotice],
    matched: list[Matched],
    actors: Actors,
    answered: int,
    days: WorkingDays,
) -> tuple[list[DualNoticeTask], list[DualNoticeTaskEvent]]:
    limit = deadlines.answer_days()
    tasks: list[DualNoticeTask] = []
    claimed: set[int] = set()
    for plan, notice in zip(plans, notices, strict=True):
        due = deadlines.due_date(plan.day, limit, days=days)
        for department_id, names in sorted(
            matched[plan.template].groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
        ):
            task = DualNoticeTask(
                notice=notice,
                department_id=department_id,
                licences=names,
                notified_on=plan.day,
                limit_days=limit,
                due_date=due,
                created_at=plan.at,
                updated_at=plan.at,
                status=TaskStatus.PENDING if department_id else TaskStatus.POOL,
            )
            if department_id is None and plan.pool_claimed and actors.claimers:
                task.department_id = next(c for c in actors.claimers if c not in matched[plan.template].groups)
                claimed.add(len(tasks))
            tasks.append(task)
    with_department = [i for i, t in enumerate(tasks) if t.department_id is not None]
    eligible = [i for i in with_department if tasks[i].notified_on <= AS_OF - datetime.timedelta(days=7)]
    chosen = set(rng.sample(eligible if len(eligible) >= answered else with_department, answered))
    events: list[DualNoticeTaskEvent] = []
    for i, task in enumerate(tasks):
        events.append(
            DualNoticeTaskEvent(
                task=task,
                action=TaskAction.DISPATCH,
                from_status="",
                to_status=task.status,
                actor_label="系统",
                department_id=task.department_id if i not in claimed else None,
                created_at=task.created_at,
                data={"due_date": task.due_date.isoformat(), "licences": task.licences},
            )
        )
        if task.department_id is None:
            continue
        if i in chosen:
            lag = rng.choices(range(1, 16), [14, 20, 18, 14, 9, 5, 4, 3, 3, 2, 2, 2, 2, 1, 1])[0]
            answered_on = min(add_working_days(task.notified_on, lag, days=days), AS_OF)
            received_on = min(add_working_days(task.notified_on, rng.randint(1, min(lag, 2)), days=days), answered_on)
        elif i in claimed or rng.random() < 0.55:
            answered_on, received_on = (
                None,
                min(add_working_days(task.notified_on, rng.randint(1, 3), days=days), AS_OF),
            )
        else:
            answered_on = received_on = None
        _receive(rng, task, i in claimed, received_on, actors, events)
        if answered_on is not None:
            _answer(rng, task, answered_on, actors, events)
        if task.status != TaskStatus.ANSWERED:
            task.reminded_at = _stamp(rng, task.due_date - datetime.timedelta(days=1))
            task.overdue_notified_at = _stamp(rng, task.due_date + datetime.timedelta(days=1))
    return tasks, events


def _receive(
    rng: random.Random,
    task: DualNoticeTask,
    claimed: bool,
    day: datetime.date | None,
    actors: Actors,
    events: list[DualNoticeTaskEvent],
) -> None:
    if day is None:
        return
    assert task.department_id is not None
    user_id, label = actors.pick(rng, task.department_id)
    at = max(_stamp(rng, day), task.created_at + datetime.timedelta(minutes=5))
    from_status = TaskStatus.POOL if claimed else TaskStatus.PENDING
    task.status, task.received_at, task.received_by_id = TaskStatus.RECEIVED, at, user_id
    if claimed:
        task.claimed_at, task.claimed_by_id = at, user_id
    events.append(
        DualNoticeTaskEvent(
            task=task,
            action=TaskAction.CLAIM if claimed else TaskAction.RECEIVE,
            from_status=from_status,
            to_status=TaskStatus.RECEIVED,
            actor_id=user_id,
            actor_label=label,
            department_id=task.department_id,
            created_at=at,
            data={"department": task.department_id} if claimed else {},
        )
    )


def _answer(
    rng: random.Random, task: DualNoticeTask, day: datetime.date, actors: Actors, events: list[DualNoticeTaskEvent]
) -> None:
    assert task.department_id is not None and task.received_at is not None
    answer, _w, note = rng.choices(ANSWERS, [a[1] for a in ANSWERS])[0]
    user_id, label = actors.pick(rng, task.department_id)
    at = max(_stamp(rng, day), task.received_at + datetime.timedelta(minutes=10))
    late = deadlines.is_late(timezone.localdate(at), task.due_date)
    task.status, task.answer, task.answer_note = TaskStatus.ANSWERED, answer, note
    task.answered_at, task.answered_by_id, task.answered_late, task.updated_at = at, user_id, late, at
    events.append(
        DualNoticeTaskEvent(
            task=task,
            action=TaskAction.ANSWER,
            from_status=TaskStatus.RECEIVED,
            to_status=TaskStatus.ANSWERED,
            actor_id=user_id,
            actor_label=label,
            department_id=task.department_id,
            note=note,
            created_at=at,
            data={"answer": answer, "late": late, "due_date": task.due_date.isoformat()},
        )
    )


def write(tasks: list[DualNoticeTask], events: list[DualNoticeTaskEvent]) -> None:
    DualNoticeTask.objects.bulk_create(tasks, batch_size=BATCH)
    for event in events:
        event.task_id = event.task.pk
    DualNoticeTaskEvent.objects.bulk_create(events, batch_size=BATCH)
