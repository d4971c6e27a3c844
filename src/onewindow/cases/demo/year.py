"""The demo year of cases — 静安区 in full, the other 15 districts thinner — planned in memory and
written consistently (see ``cases.demo``)."""

from __future__ import annotations

import bisect
import datetime
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import chinese_calendar
from django.utils import timezone

from onewindow.accounts.models import Organization, Person, User
from onewindow.accounts.sample_identifiers import sample_credit_code, sample_mobile, sample_resident_id
from onewindow.catalog.models import ServiceItem
from onewindow.core import crypto
from onewindow.core.models import Department, NumberCounter

from .. import deadlines
from ..application_form import split_form
from ..choices import CaseStatus as S
from ..choices import ClockKind, ClockLevel, DocumentKind, RefusalReason
from ..models import Case, CaseClock, CaseEvent, Document, Licence
from ..services.common import DOCUMENT_PREFIX, QUERY_ALPHABET, district_code
from .rows import Row as _Row
from .rows import WorkingDays, insert_rows, next_ids, reset_sequences

JINGAN = "310106"
CENTER_CODE = "310106021-SQSW"
FIRST_DAY, LAST_DAY = datetime.date(2025, 12, 1), datetime.date(2026, 11, 26)
#: The small profile (``demo_data --size small``, for CI): the last two weeks of the year only.
SMALL_FIRST_DAY = datetime.date(2026, 11, 16)
AS_OF = datetime.date(2026, 11, 27)  # the levels of the open clocks are those of this day
CUTOFF = timezone.make_aware(datetime.datetime(2026, 11, 26, 23, 59))
SPRING_FESTIVAL = (datetime.date(2026, 2, 15), datetime.date(2026, 2, 23))
BASE_PER_DAY = 96  # cases on an ordinary Wednesday
WEEKDAY_FACTOR = (1.3, 1.05, 1.0, 0.97, 0.88, 1.0, 1.0)
CENTER_SHARE = 0.4  # share of the 临汾路 center's own items
FORWARD_SHARE = 0.06  # district window cases received at the center (代收代办)
#: The other districts' volume as a share of 静安区's (the demo's own district is the busiest);
#: 浦东新区 larger. Each district's cases come from its own departments' items.
DISTRICT_SCALE = 0.025
DISTRICT_SCALE_BY_CODE = {"310115": 0.05}
ITEMS_PER_DISTRICT = 80
CHANNEL_WEIGHTS = {"online": 0.45, "window": 0.4, "appointment": 0.08, "kiosk": 0.04, "wechat": 0.03}
CENTERCLERK = ("centerclerk", "centerclerk-demo-2017", "社区中心受理员 window clerk (临汾路社区事务受理服务中心)")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌波辉玲晨浩宇欣怡佳琪子涵梓萱"
ORG_WORDS = ("静安", "临汾", "彭浦", "大宁", "共和", "闻喜", "天目", "芷江", "江宁", "曹家渡", "南京西路", "石门")
ORG_TRADES = ("商贸", "餐饮管理", "科技", "文化传播", "物业管理", "建筑装饰", "医药", "信息技术", "广告", "咨询")
CORRECTION_REASONS = ("复印件不清晰，请重新提交", "未加盖单位公章", "申请表签名缺失", "证明材料已过有效期")


class Plan:
    """Rows collected in memory, numbered at the end in issue order, then inserted."""

    def __init__(self, rng: random.Random, cal: WorkingDays) -> None:
        self.rng = rng
        self.cal = cal
        self.cases: list[_Row] = []
        self.events: list[list[_Row]] = []
        self.clocks: list[list[_Row]] = []
        self.documents: list[tuple[_Row, int]] = []  # (document, index of its case)
        self.licences: list[tuple[_Row, int]] = []
        self.query_codes: set[str] = set()

    def query_code(self) -> str:
        while True:
            code = "".join(self.rng.choice(QUERY_ALPHABET) for _ in range(10))
            if code not in self.query_codes:
                self.query_codes.add(code)
                return code


class Staff:
    """Who acts for a department in the timeline: the demo users where they exist, else a label."""

    def __init__(self, receiver: User | None, handler: User | None, dept: Department) -> None:
        self.receiver, self.handler = receiver, handler
        short = dept.short_name or dept.name
        self.receiver_label = _label(receiver) if receiver else f"{short}受理窗口"
        self.handler_label = _label(handler) if handler else f"{short}审批科室"


def _label(user: User) -> str:
    return (user.person.name if user.person else user.get_username())[:100]


def _at(day: datetime.date, minute: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=CUTOFF.tzinfo)


def _volume(day: datetime.date, cal: WorkingDays) -> float:
    """Expected cases on ``day``: working days busy (Monday most), weekends online only, holidays
    next to nothing; the Spring Festival and summer dips."""
    if day not in cal.working:
        factor = 0.015 if chinese_calendar.is_holiday(day) and day.weekday() < 5 else 0.06
    else:
        factor = WEEKDAY_FACTOR[day.weekday()] if day.weekday() < 5 else 0.9  # 调休上班
    if SPRING_FESTIVAL[0] - datetime.timedelta(days=7) <= day <= SPRING_FESTIVAL[1] + datetime.timedelta(days=7):
        factor *= 0.55
    if day.month in (7, 8):
        factor *= 0.8
    return BASE_PER_DAY * factor


class _Sim:
    """The simulation of one case's path through the workflow, step by step, until the cutoff."""

    def __init__(self, plan: Plan, case: _Row, index: int, staff_recv: Staff, staff_hand: Staff,
                 applicant_label: str) -> None:
        self.plan, self.case, self.index = plan, case, index
        self.recv, self.hand = staff_recv, staff_hand
        self.applicant_label = applicant_label
        self.events: list[_Row] = []
        self.clocks: list[_Row] = []
        self.now = case.submitted_at
        self.stopped = False

    def step(self, when: datetime.datetime) -> bool:
        """Move the case's time on; False (and the case stays as it is) once past the cutoff."""
        if self.stopped or when > CUTOFF:
            self.stopped = True
            return False
        self.now = max(when, self.now + datetime.timedelta(minutes=1))
        return True

    def event(self, action: str, to: str, *, actor: User | None = None, label: str = "",
              dept: Department | None = None, data: dict[str, Any] | None = None, public: bool = True,
              note: str = "") -> None:
        self.events.append(_Row(action=action, from_status=self.case.status, to_status=to, actor=actor,
                                actor_label=label, department=dept, data=data or {}, public=public, note=note,
                                created_at=self.now))
        self.case.status = to
        self.case.updated_at = self.now

    def clock(self, kind: str, start: datetime.date, limit: int, basis: str) -> _Row:
        due = self.plan.cal.add(start, limit)
        clock = _Row(kind=kind, basis=basis[:200], limit_days=limit, unit="working", start_date=start,
                     due_date=due, promised_due_date=due, level=ClockLevel.GREEN, created_at=self.now,
                     stopped_on=None)
        self.clocks.append(clock)
        return clock

    def stop(self, *kinds: str) -> None:
        for clock in self.clocks:
            if clock.stopped_on is None and (not kinds or clock.kind in kinds):
                clock.stopped_on = self.now.date()
                clock.level = self.plan.cal.level(clock.start_date, clock.limit_days, clock.due_date,
                                                  clock.stopped_on)

    def document(self, kind: str, dept: Department, by: User | None, content: dict[str, Any]) -> _Row:
        doc = _Row(kind=kind, department=dept, content=content, issued_by=by, issued_at=self.now)
        self.plan.documents.append((doc, self.index))
        return doc

    def finish(self) -> None:
        """Levels of the clocks still running on AS_OF, and the case's due date and level from them."""
        running = [c for c in self.clocks if c.stopped_on is None]
        for clock in running:
            clock.level = self.plan.cal.level(clock.start_date, clock.limit_days, clock.due_date, AS_OF)
        if running:
            self.case.due_date = min(c.due_date for c in running)
            self.case.deadline_level = max((c.level for c in running), key=lambda lvl: deadlines.LEVEL_RANK[lvl])
        self.plan.cases.append(self.case)
        self.plan.events.append(self.events)
        self.plan.clocks.append(self.clocks)


def _walk(sim: _Sim, rng: random.Random, cal: WorkingDays, limit: tuple[int, str], online: bool) -> None:
    """One path through the workflow (see the module docstring for the shares)."""
    case, recv, hand = sim.case, sim.recv, sim.hand
    r = rng.random()
    outcome = ("withdraw" if r < 0.01 else "refuse" if r < 0.04 else "reject" if r < 0.06 else "approve")
    correction = rng.random() < 0.085
    late = rng.random() < 0.015

    def next_time(days: int, *, working: bool = True, lo: int = 9 * 60, hi: int = 17 * 60) -> datetime.datetime:
        base = sim.now.date()
        if not working:
            return _at(base + datetime.timedelta(days=days), rng.randrange(lo, hi))
        target = cal.add(base, days) if days or base in cal.working else cal.add(base, 1)
        return _at(target, rng.randrange(lo, hi))

    def receiver_step(days: int) -> bool:
        """Staff act ``days`` working days later, in office hours, never before the last step."""
        when = next_time(days)
        if when <= sim.now:
            later = sim.now + datetime.timedelta(minutes=rng.randrange(5, 90))
            when = later if later.hour < 17 else next_time(1)
        return sim.step(when)

    if online and not receiver_step(rng.choice((0, 1, 1, 2))):
        return sim.finish()
    if online:
        case.handler = recv.receiver
        sim.event("start_pre_review", S.PRE_REVIEW, actor=recv.receiver, label=recv.receiver_label,
                  dept=case.receiving_department)
    if correction and outcome != "refuse":
        if not receiver_step(rng.choice((0, 1))):
            return sim.finish()
        items = [{"material_id": None, "name": "申请人居民身份证", "reason": rng.choice(CORRECTION_REASONS)}]
        case.handler = case.handler or recv.receiver
        sim.stop(ClockKind.CORRECTION)
        doc = sim.document(DocumentKind.CORRECTION, case.receiving_department, recv.receiver, {"items": items})
        sim.event("request_correction", S.CORRECTION, actor=recv.receiver, label=recv.receiver_label,
                  dept=case.receiving_department, data={"document": doc, "items": items})
        if not sim.step(next_time(rng.choice((1, 2, 3, 5, 8)), working=False, lo=8 * 60, hi=21 * 60)):
            return sim.finish()
        sim.clock(ClockKind.CORRECTION, sim.now.date(), deadlines.CORRECTION_DAYS, deadlines.BASIS_CORRECTION)
        sim.event("resubmit", S.SUBMITTED, label=sim.applicant_label)
    if outcome == "withdraw" and rng.random() < 0.5:
        if sim.step(next_time(rng.choice((0, 1, 2)), working=False, lo=8 * 60, hi=21 * 60)):
            sim.stop()
            case.closed_at = sim.now
            sim.event("withdraw", S.WITHDRAWN, label=sim.applicant_label, note="申请人主动撤回")
        return sim.finish()
    if not receiver_step(0 if not online else rng.choice((0, 1))):
        return sim.finish()
    if outcome == "refuse":
        code = rng.choice((RefusalReason.NOT_COMPETENT, RefusalReason.NOT_REQUIRED, RefusalReason.OTHER))
        text = str(RefusalReason(code).label)
        sim.stop()
        case.refusal_reason, case.closed_at = text, sim.now
        doc = sim.document(DocumentKind.NON_ACCEPTANCE, case.receiving_department, recv.receiver,
                           {"reason_code": code, "reason": text})
        sim.event("refuse", S.NOT_ACCEPTED, actor=recv.receiver, label=recv.receiver_label,
                  dept=case.receiving_department, data={"document": doc, "reason_code": code}, note=text)
        return sim.finish()
    accepted_on = sim.now.date()
    case.accepted_at = sim.now
    case.handler = case.handler or recv.receiver
    sim.stop(ClockKind.CORRECTION)
    sim.clock(ClockKind.DECISION, accepted_on, limit[0], limit[1])
    doc = sim.document(DocumentKind.RECEIPT, case.receiving_department, recv.receiver,
                       {"accepted_on": accepted_on.isoformat(), "note": ""})
    sim.event("accept", S.ACCEPTED, actor=recv.receiver, label=recv.receiver_label, dept=case.receiving_department,
              data={"document": doc, "accepted_on": accepted_on.isoformat()})
    forwarded = case.receiving_department.pk != case.handling_department.pk
    if forwarded:
        if not receiver_step(rng.choice((0, 0, 1))):
            return sim.finish()
        case.forwarded_at = sim.now
        sim.event("forward", S.FORWARDED, actor=recv.receiver, label=recv.receiver_label,
                  dept=case.receiving_department, data={"to": case.handling_department.name})
    if not receiver_step(0 if limit[0] == 0 else rng.choice((0, 1, 1, 2))):
        return sim.finish()
    if forwarded or case.handler is None:
        case.handler = hand.handler
    sim.event("start_review", S.UNDER_REVIEW, actor=hand.handler, label=hand.handler_label,
              dept=case.handling_department)
    if outcome == "withdraw":
        if sim.step(next_time(rng.choice((1, 2, 4)), working=False, lo=8 * 60, hi=21 * 60)):
            sim.stop()
            case.closed_at = sim.now
            sim.event("withdraw", S.WITHDRAWN, label=sim.applicant_label, note="申请人主动撤回")
        return sim.finish()
    span = limit[0] + rng.randrange(1, 12) if late else (rng.randrange(0, max(1, limit[0] * 9 // 10) + 1))
    when = _at(cal.add(accepted_on, span), rng.randrange(9 * 60, 17 * 60))
    if not sim.step(when if when > sim.now else sim.now + datetime.timedelta(minutes=rng.randrange(10, 120))):
        return sim.finish()
    decided = sim.now.date()
    case.decided_at = sim.now
    sim.stop(ClockKind.DECISION)
    sim.clock(ClockKind.DELIVERY, decided, deadlines.DELIVERY_DAYS, deadlines.BASIS_DELIVERY)
    data: dict[str, Any] = {}
    if outcome == "approve":
        valid_to = decided.replace(year=decided.year + 5) if case.item.category == "approval" else None
        licence = _Row(case=case, name=case.title[:200], holder_person=case.applicant_person,
                          holder_organization=case.applicant_organization, department=case.handling_department,
                          valid_from=decided, valid_to=valid_to, issued_at=sim.now)
        sim.plan.licences.append((licence, sim.index))
        doc = sim.document(DocumentKind.APPROVAL, case.handling_department, hand.handler,
                           {"note": "", "licence": licence})
        data = {"document": doc, "licence": licence}
        to, action, note = S.APPROVED, "approve", ""
    else:
        note = "经审查，申请人不符合法定条件、标准"
        case.refusal_reason = note
        doc = sim.document(DocumentKind.REJECTION, case.handling_department, hand.handler,
                           {"reason": note, "remedy": "如不服本决定，可依法申请行政复议或者提起行政诉讼。"})
        data = {"document": doc}
        to, action = S.REJECTED, "reject"
    if forwarded:
        data["returned_to"] = case.receiving_department.name
    sim.event(action, to, actor=hand.handler, label=hand.handler_label, dept=case.handling_department, data=data,
              note=note)
    method = case.delivery_method
    if not receiver_step(0 if method == "electronic" else rng.choice((0, 1, 2, 3))):
        return sim.finish()
    case.delivered_at = case.closed_at = sim.now
    sim.stop(ClockKind.DELIVERY)
    sim.event("deliver", S.DELIVERED, actor=recv.receiver, label=recv.receiver_label, dept=case.receiving_department,
              data={"method": method})
    sim.finish()


# ---- applicants, items, the year ----------------------------------------------------------------

def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def persons_create(rng: random.Random, count: int) -> list[Person]:
    """Applicants without a login (walk-ins and online applicants), with valid sample resident IDs;
    bulk-created through the model, so the ID and phone are encrypted and their hashes computed."""
    existing = set(Person.objects.values_list("id_number_hash", flat=True))
    seen: set[str] = set()
    verified = timezone.make_aware(datetime.datetime(2025, 6, 1, 9, 0))
    rows: list[Person] = []
    while len(rows) < count:
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 56))
        female = rng.random() < 0.52
        number = sample_resident_id(JINGAN, birth, rng.randrange(500), female=female)
        if number in seen or crypto.keyed_hash(number.upper()) in existing:
            continue
        seen.add(number)
        rows.append(Person(name=_name(rng), id_number=number, phone=sample_mobile(rng), birth_date=birth,
                           gender="female" if female else "male", real_name_verified=True,
                           real_name_verified_at=verified))
    return Person.objects.bulk_create(rows, batch_size=1000)


def organizations_create(rng: random.Random, count: int) -> list[Organization]:
    existing = set(Organization.objects.values_list("credit_code", flat=True))
    rows: list[Organization] = []
    names: set[str] = set(Organization.objects.values_list("name", flat=True))
    while len(rows) < count:
        code = sample_credit_code(JINGAN, rng)
        name = f"上海{rng.choice(ORG_WORDS)}{_name(rng)[1:]}{rng.choice(ORG_TRADES)}有限公司"
        if code in existing or name in names:
            continue
        existing.add(code)
        names.add(name)
        rows.append(Organization(credit_code=code, name=name, legal_representative_name=_name(rng)))
    return Organization.objects.bulk_create(rows, batch_size=1000)


class Items:
    """The items of one group (district departments or the center) with popularity weights."""

    def __init__(self, items: list[ServiceItem], rng: random.Random) -> None:
        rng.shuffle(items)
        self.items = items
        self.cum = list(_cumulative([1 / (i + 1) ** 0.8 for i in range(len(items))]))
        online = [it for it in items if {"online", "wechat"} & set(version_of(it).channel_list)]
        self.online = online
        self.online_cum = list(_cumulative([1 / (i + 1) ** 0.8 for i in range(len(online))]))

    def pick(self, rng: random.Random, working: bool) -> ServiceItem:
        items, cum = (self.items, self.cum) if working else (self.online, self.online_cum)
        return items[bisect.bisect_left(cum, rng.random() * cum[-1])]


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def version_of(item: ServiceItem) -> Any:
    version = item.current_version
    assert version is not None
    return version


def _channel(rng: random.Random, item: ServiceItem, working: bool) -> str:
    offered = set(version_of(item).channel_list)
    allowed = {c for c in CHANNEL_WEIGHTS if c in offered}
    if "online" in offered:
        allowed.add("wechat")
    if "window" in offered:
        allowed.add("kiosk")
    if not working:
        allowed &= {"online", "wechat"}
    choices = sorted(allowed)
    return rng.choices(choices, weights=[CHANNEL_WEIGHTS[c] for c in choices])[0]


def _organization_item(rng: random.Random, item: ServiceItem) -> bool:
    props = (version_of(item).form_schema or {}).get("properties", {})
    if "credit_code" in props:
        return True
    if "id_number" in props or item.category != "approval":
        return False
    return rng.random() < 0.6


def year_plan(rng: random.Random, cal: WorkingDays, districts: Items, center_items: Items | None,
               center: Department | None, staff: dict[int, Staff], persons: list[Person],
               organizations: list[Organization], first_day: datetime.date = FIRST_DAY, *,
               plan: Plan | None = None, scale: float = 1.0) -> Plan:
    """Plan the cases of one district's year into ``plan`` (a new one by default): 静安区 with its
    street center (``center_items``, ``center``: 代收代办), or another district at ``scale`` of the
    volume without a center. ``rng`` is the district's own stream, so adding districts never
    changes 静安区's cases."""
    plan = plan or Plan(rng, cal)
    limits: dict[int, tuple[int, str]] = {}
    day = first_day
    while day <= LAST_DAY:
        working = day in cal.working
        expected = _volume(day, cal) * scale
        count = max(0, round(rng.gauss(expected, expected ** 0.5)))
        for _n in range(count):
            group = center_items if center_items is not None and rng.random() < CENTER_SHARE else districts
            item = group.pick(rng, working)
            version = version_of(item)
            channel = _channel(rng, item, working)
            online = channel in ("online", "wechat")
            receiving = item.department
            if (center is not None and not online and group is districts and channel == "window"
                    and rng.random() < FORWARD_SHARE):
                receiving = center  # 代收代办: received at the street center
            if version.pk not in limits:
                limit = deadlines.decision_limit(version)
                limits[version.pk] = (limit.days, limit.basis)
            if _organization_item(rng, item):
                org: Organization | None = rng.choice(organizations)
                person: Person | None = None
                applicant_name = org.name if org else ""
                phone = sample_mobile(rng)
            else:
                org, person = None, rng.choice(persons)
                applicant_name, phone = person.name, person.phone
            minute = rng.randrange(7 * 60, 23 * 60) if online else rng.randrange(9 * 60, 16 * 60 + 45)
            submitted = _at(day, minute)
            created = submitted - datetime.timedelta(minutes=rng.randrange(3, 40))
            recv, hand = staff[receiving.pk], staff[item.department_id]
            props = (version.form_schema or {}).get("properties", {})
            form = ({"applicant_name": applicant_name, "contact_phone": phone, "description": "新办"}
                    if props else {})
            shown, personal = split_form(version.form_schema or {}, form)  # as Case.form_set stores it
            method = (rng.choices(("electronic", "mail", "window"), weights=(6, 2, 2))[0] if online
                      else rng.choices(("window", "mail"), weights=(8, 2))[0])
            case = _Row(query_code=plan.query_code(), status="", channel=channel, item=item, item_version=version,
                        title=version.name, applicant_person=person, applicant_organization=org,
                        submitter=None if online else recv.receiver, receiving_department=receiving,
                        handling_department=item.department, form_data=shown,
                        form_personal=json.dumps(personal, ensure_ascii=False, sort_keys=True) if personal else "",
                        contact_phone=phone,
                        phone_tail=phone[-4:], delivery_method=method, created_at=created, updated_at=created,
                        submitted_at=submitted)
            sim = _Sim(plan, case, len(plan.cases), recv, hand, applicant_name[:100])
            sim.now = created
            actor, label = (None, applicant_name[:100]) if online else (recv.receiver, recv.receiver_label)
            sim.event("create", S.DRAFT, actor=actor, label=label, public=False, data={"channel": channel})
            sim.now = submitted
            sim.event("submit", S.SUBMITTED, actor=actor, label=label, data={"number": case})
            sim.clock(ClockKind.CORRECTION, day, deadlines.CORRECTION_DAYS, deadlines.BASIS_CORRECTION)
            _walk(sim, rng, cal, limits[version.pk], online)
        day += datetime.timedelta(days=1)
    return plan


# ---- numbering and writing ------------------------------------------------------------------------


def year_number(plan: Plan) -> dict[str, int]:
    """Gap-free numbers in the order of issue, continuing any counter already there; returns the
    counter values to store. A case is numbered in its receiving body's district (as
    ``services.common.case_number``)."""
    counters: dict[str, int] = {}
    existing = dict(NumberCounter.objects.filter(scope__startswith="cases").values_list("scope", "value"))
    districts: dict[int, str] = {}

    def district(dept: Department) -> str:
        if dept.pk not in districts:
            districts[dept.pk] = district_code(dept)
        return districts[dept.pk]

    def take(scope: str) -> int:
        if scope not in counters:
            counters[scope] = int(existing.get(scope, 0))
        counters[scope] += 1
        return counters[scope]

    for case in sorted(plan.cases, key=lambda c: c.submitted_at):
        year = timezone.localtime(case.submitted_at).year
        code = district(case.receiving_department)
        case.number = f"{code}-{year}-{take(f'cases:{code}:{year}'):07d}"
    for licence, _i in sorted(plan.licences, key=lambda pair: pair[0].issued_at):
        year = timezone.localtime(licence.issued_at).year
        dept = licence.department
        licence.number = f"ZZ-{dept.code}-{year}-{take(f'cases.licence:{dept.pk}:{year}'):06d}"
    for doc, _i in sorted(plan.documents, key=lambda pair: pair[0].issued_at):
        year = timezone.localtime(doc.issued_at).year
        n = take(f"cases.doc:{doc.kind}:{doc.department.pk}:{year}")
        doc.number = f"{DOCUMENT_PREFIX[doc.kind]}-{doc.department.code}-{year}-{n:05d}"
    for doc, _i in plan.documents:
        doc.content = _resolved(doc.content)
    for events in plan.events:
        for event in events:
            event.data = _resolved(event.data)
    return counters


def _resolved(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.number if isinstance(v, _Row) else v) for k, v in data.items()}


def year_write(plan: Plan, counters: dict[str, int], progress: Callable[[int], object]) -> None:
    events, clocks = [], []
    for case, case_events, case_clocks in zip(plan.cases, plan.events, plan.clocks, strict=True):
        for row in (*case_events, *case_clocks):
            row.case = case
        events.extend(case_events)
        clocks.extend(case_clocks)
    for doc, index in plan.documents:
        doc.case = plan.cases[index]
    for licence, index in plan.licences:
        licence.case = plan.cases[index]
    documents = [d for d, _i in plan.documents]
    licences = [lic for lic, _i in plan.licences]
    for model, rows in ((Case, plan.cases), (CaseEvent, events), (CaseClock, clocks), (Document, documents),
                        (Licence, licences)):
        next_ids(model, rows)
        insert_rows(model, rows)
        progress(len(rows))
    reset_sequences(Case, CaseEvent, CaseClock, Document, Licence)
    # One query each way: the year touches some 700 scopes (a document counter per department).
    stored = {c.scope: c for c in NumberCounter.objects.filter(scope__in=list(counters))}
    for scope, counter in stored.items():
        counter.value = counters[scope]
    NumberCounter.objects.bulk_update(list(stored.values()), ["value"], batch_size=500)
    NumberCounter.objects.bulk_create([NumberCounter(scope=scope, value=value) for scope, value in counters.items()
                                       if scope not in stored], batch_size=500)


