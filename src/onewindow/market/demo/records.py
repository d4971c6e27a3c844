"""Demo 信息归集: Jing'an's pooled records as of 2017-09-05 (shared/seed/figures.json → supervision).

Exactly 48,483 licence records, 10,740 penalty records and 4,091 inspection records (the seed's
figures), plus some filings, spread over the Jing'an departments (core.Department codes
``310106-*``) and the demo registry's entities (Organizations with an EntityProfile). The first
demo entity holds licences from three departments, a penalty and an inspection result; about 150
licences name credit codes nobody has registered and wait in the matching queue, with their ages.

Records arrive from 2016-08-15 (the platform went live) to 2017-09-05, by department API,
spreadsheet upload or the platform's own cases; licences may be older than their arrival.
Written with ``bulk_create`` in chunks (revision 1 of each record beside it) and one audit entry;
idempotent (a second run finds the demo batch and returns) and deterministic for a seed.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import Organization
from onewindow.accounts.sample_identifiers import sample_credit_code
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import Department

from ..choices import (
    DisclosureStatus,
    InspectionResult,
    PenaltyKind,
    RecordChannel,
    RecordKind,
    RecordStatus,
    RevisionAction,
)
from ..models import PooledRecord, RecordRevision
from ..services.record_import import RecordContent, content_digest

LICENCES, PENALTIES, INSPECTIONS, FILINGS = 48_483, 10_740, 4_091, 1_260
QUEUED = 150
SMALL = 50  # records of each kind with ``size="small"`` (CI)
BATCH_PREFIX = "demo-"
ONLINE = datetime.date(2016, 8, 15)
AS_OF = datetime.date(2017, 9, 5)
CHUNK = 5_000

#: Licence share, penalty share and inspection share of each Jing'an department kind (others: none).
WEIGHTS: dict[str, tuple[int, int, int]] = {
    "scjg": (40, 45, 40),
    "wjw": (14, 8, 14),
    "whly": (6, 3, 5),
    "sthj": (5, 8, 8),
    "zjw": (6, 5, 4),
    "ghzy": (4, 1, 0),
    "lhsr": (5, 4, 2),
    "yj": (3, 4, 8),
    "swj": (5, 1, 2),
    "jyj": (3, 0, 1),
    "mz": (2, 0, 1),
    "rs": (3, 1, 1),
    "fgj": (1, 1, 1),
    "yb": (1, 1, 1),
    "fgw": (1, 0, 0),
    "cgzf": (1, 12, 4),
    "gafj": (4, 3, 2),
    "xfzd": (3, 4, 6),
    "jtw": (2, 1, 1),
    "shwj": (1, 1, 1),
    "tyj": (1, 0, 0),
    "kw": (1, 0, 0),
    "sfj": (1, 0, 0),
    "mfb": (1, 0, 1),
}
FALLBACK_TITLES = {
    "scjg": ["食品经营许可证", "食品生产许可证", "特种设备使用登记证"],
    "wjw": ["医疗机构执业许可证", "公共场所卫生许可证"],
    "whly": ["娱乐经营许可证", "网络文化经营许可证"],
    "sthj": ["排污许可证", "辐射安全许可证"],
}
PENALTY_CAUSES = {
    "scjg": [
        ("销售超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条第一款"),
        ("未取得食品经营许可从事食品经营活动", "《中华人民共和国食品安全法》第一百二十二条第一款"),
        ("发布虚假广告", "《中华人民共和国广告法》第五十五条第一款"),
        ("未按规定公示年度报告", "《企业信息公示暂行条例》第十七条"),
    ],
    "wjw": [
        ("未取得医疗机构执业许可证擅自执业", "《医疗机构管理条例》第四十四条"),
        ("公共场所卫生检测不合格", "《公共场所卫生管理条例实施细则》第三十七条"),
    ],
    "sthj": [
        ("超标排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条"),
        ("未批先建", "《中华人民共和国环境影响评价法》第三十一条"),
    ],
    "yj": [("未按规定开展安全生产教育培训", "《中华人民共和国安全生产法》第九十四条")],
    "lhsr": [("擅自设置户外广告设施", "《上海市户外广告设施管理办法》第三十二条")],
    "cgzf": [
        ("跨门营业", "《上海市市容环境卫生管理条例》第四十九条"),
        ("乱设摊", "《上海市市容环境卫生管理条例》第四十九条"),
    ],
    "xfzd": [("占用、堵塞、封闭疏散通道、安全出口", "《中华人民共和国消防法》第六十条")],
    "zjw": [("未取得施工许可证擅自施工", "《建筑工程施工许可管理办法》第十二条")],
    "whly": [("擅自从事娱乐场所经营活动", "《娱乐场所管理条例》第四十一条")],
}
CHECK_MATTERS = [
    "双随机抽查：经营资格与公示信息",
    "食品安全监督检查",
    "安全生产执法检查",
    "公共场所卫生监督检查",
    "环境执法检查",
    "联合检查：进一次门、查多项事",
]
FINES = [500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 30_000, 50_000, 100_000, 200_000]


def _departments() -> list[Department]:
    return list(Department.objects.filter(code__startswith="310106-").order_by("sort_order", "code"))


def _kind(dept: Department) -> str:
    return dept.code.rsplit("-", 1)[1].lower()


def _entities() -> list[tuple[int, str, str]]:
    rows = list(
        Organization.objects.filter(market_profile__isnull=False)
        .order_by("pk")
        .values_list("pk", "credit_code", "name")
    )
    if not rows:  # the registry demo is not loaded: pool under the organizations there are
        rows = list(Organization.objects.order_by("pk").values_list("pk", "credit_code", "name"))
    return rows


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _arrival(rng: random.Random, record_date: datetime.date) -> datetime.datetime:
    day = _day(rng, max(record_date, ONLINE), AS_OF)
    moment = datetime.datetime.combine(day, datetime.time(9, 0)) + datetime.timedelta(minutes=rng.randrange(540))
    return timezone.make_aware(moment)


class _Plan:
    """Builds the records and their first revisions in memory, then writes them in chunks."""

    def __init__(self, rng: random.Random, depts: list[Department], entities: list[tuple[int, str, str]]) -> None:
        self.rng = rng
        self.depts = depts
        self.entities = entities
        self.serial: dict[str, int] = {}
        self.items: dict[int, list[tuple[int, str, str]]] = {}
        for pk, code, name, dept_id in (
            ServiceItem.objects.filter(department__in=depts, item_type__code="01")
            .order_by("pk")
            .values_list("pk", "code", "name", "department_id")
        ):
            self.items.setdefault(dept_id, []).append((pk, code, name))
        self.records: list[tuple[PooledRecord, dict[str, Any]]] = []
        self.weights: dict[int, list[int]] = {}

    def _pick(self, kind_index: int) -> Department:
        if kind_index not in self.weights:
            weights = [WEIGHTS.get(_kind(d), (0, 0, 0))[kind_index] for d in self.depts]
            self.weights[kind_index] = weights if any(weights) else [1] * len(self.depts)
        return self.rng.choices(self.depts, weights=self.weights[kind_index])[0]

    def _entity(self) -> tuple[int | None, str, str]:
        # A long tail: a fifth of the records go to the first 2% of the entities (chains, big
        # restaurants), the rest to any entity; most entities hold a handful or none.
        top = max(1, len(self.entities) // 50)
        pool = top if self.rng.random() < 0.2 else len(self.entities)
        pk, code, name = self.entities[self.rng.randrange(pool)]
        return pk, code, name

    def _source(self, dept: Department, prefix: str, year: int) -> str:
        key = f"{dept.pk}:{prefix}:{year}"
        self.serial[key] = self.serial.get(key, 0) + 1
        return f"{prefix}-{year}-{self.serial[key]:06d}"

    def add(self, dept: Department, entity: tuple[int | None, str, str], **content: Any) -> None:
        kind = content["kind"]
        record_date = content["record_date"]
        prefix = {"licence": "XK", "penalty": "CF", "inspection": "JC", "filing": "BA"}[kind]
        data = {
            "entity_name": entity[2],
            "status": RecordStatus.ACTIVE,
            "title": "",
            "number": "",
            "item_id": None,
            "item_code": "",
            "valid_from": None,
            "valid_to": None,
            "legal_basis": "",
            "penalty_kinds": (),
            "amount": None,
            "disclosure": "",
            "inspection_result": "",
            "inspector_department_id": None,
            "inspector_department_code": "",
            **content,
            "credit_code": entity[1],
        }
        parsed = RecordContent(**data)
        as_json = parsed.as_json()
        received_at = _arrival(self.rng, record_date)
        channel = self.rng.choices([RecordChannel.API, RecordChannel.UPLOAD, RecordChannel.CASE], [60, 35, 5])[0]
        if kind != RecordKind.LICENCE and channel == RecordChannel.CASE:
            channel = RecordChannel.API
        record = PooledRecord(
            kind=kind,
            department=dept,
            source_id=self._source(dept, prefix, record_date.year),
            entity_id=entity[0],
            channel=channel,
            batch_id=f"{BATCH_PREFIX}{dept.code}-{received_at:%Y%m}",
            received_at=received_at,
            updated_at=received_at,
            matched_at=received_at if entity[0] else None,
            revision=1,
            content_hash=content_digest(as_json),
            **{k: v for k, v in parsed.model_values().items() if k != "kind"},
        )
        self.records.append((record, as_json))

    def licence(self, dept: Department, entity: tuple[int | None, str, str]) -> None:
        items = self.items.get(dept.pk)
        item_id, item_code, title = None, "", ""
        if items:
            item_id, item_code, name = self.rng.choice(items)
            title = name.rstrip("*") + ("证" if name.endswith("许可") else "")
        else:
            title = self.rng.choice(FALLBACK_TITLES.get(_kind(dept), ["行政许可决定书"]))
        issued = _day(self.rng, datetime.date(2012, 1, 1), AS_OF)
        years = self.rng.choice([3, 5, 5, 6])
        status = self.rng.choices([RecordStatus.ACTIVE, RecordStatus.CANCELLED, RecordStatus.REVOKED], [95, 4, 1])[0]
        number = f"沪静{_kind(dept).upper()}许〔{issued.year}〕{self.serial.get(f'n{dept.pk}', 0) + 1:05d}号"
        self.serial[f"n{dept.pk}"] = self.serial.get(f"n{dept.pk}", 0) + 1
        self.add(
            dept,
            entity,
            kind=RecordKind.LICENCE,
            record_date=issued,
            title=title[:200],
            number=number,
            item_id=item_id,
            item_code=item_code,
            valid_from=issued,
            valid_to=_years_later(issued, years) - datetime.timedelta(days=1),
            status=status,
        )

    def penalty(self, dept: Department, entity: tuple[int | None, str, str]) -> None:
        cause, basis = self.rng.choice(PENALTY_CAUSES.get(_kind(dept), PENALTY_CAUSES["scjg"]))
        decided = _day(self.rng, datetime.date(2016, 1, 1), AS_OF)
        kinds = self.rng.choices(
            [
                [PenaltyKind.WARNING],
                [PenaltyKind.FINE],
                [PenaltyKind.WARNING, PenaltyKind.FINE],
                [PenaltyKind.FINE, PenaltyKind.CONFISCATION],
                [PenaltyKind.SUSPENSION],
                [PenaltyKind.REVOCATION],
            ],
            [20, 45, 15, 14, 4, 2],
        )[0]
        amount = Decimal(self.rng.choice(FINES)) if PenaltyKind.FINE in kinds else None
        disclosure = (
            DisclosureStatus.DISCLOSED if decided < AS_OF - datetime.timedelta(days=28) else DisclosureStatus.PENDING
        )
        number = f"沪静{_kind(dept).upper()}罚〔{decided.year}〕{self.serial.get(f'p{dept.pk}', 0) + 1}号"
        self.serial[f"p{dept.pk}"] = self.serial.get(f"p{dept.pk}", 0) + 1
        self.add(
            dept,
            entity,
            kind=RecordKind.PENALTY,
            record_date=decided,
            title=cause,
            number=number,
            legal_basis=basis,
            penalty_kinds=tuple(str(k) for k in kinds),
            amount=amount,
            disclosure=disclosure,
        )

    def inspection(self, dept: Department, entity: tuple[int | None, str, str]) -> None:
        checked = _day(self.rng, ONLINE, AS_OF)
        result = self.rng.choices(list(InspectionResult.values), [70, 14, 5, 6, 4, 1])[0]
        self.add(
            dept,
            entity,
            kind=RecordKind.INSPECTION,
            record_date=checked,
            title=self.rng.choice(CHECK_MATTERS),
            inspection_result=result,
            inspector_department_id=dept.pk,
            inspector_department_code=dept.code,
        )

    def filing(self, dept: Department, entity: tuple[int | None, str, str]) -> None:
        filed = _day(self.rng, datetime.date(2015, 1, 1), AS_OF)
        self.add(
            dept,
            entity,
            kind=RecordKind.FILING,
            record_date=filed,
            title="单用途商业预付卡发卡企业备案" if _kind(dept) == "swj" else "经营项目备案",
            number=f"BA{filed:%Y%m%d}{self.rng.randrange(10**4):04d}",
        )


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def load(progress: Callable[[int], object], seed: int = 20170929, size: str = "full") -> list[tuple[str, str, str]]:
    """Load the demo records once; return no demo accounts (the registry demo prints its own)."""
    if PooledRecord.objects.filter(batch_id__startswith=BATCH_PREFIX).exists():
        progress(PooledRecord.objects.count())
        return []
    depts = _departments()
    if not depts:
        raise RuntimeError("no Jing'an departments (310106-*): load the catalog demo data first")
    rng = random.Random(seed)
    entities = _entities()
    plan = _Plan(rng, depts, entities)
    counts = (LICENCES, PENALTIES, INSPECTIONS, FILINGS) if size == "full" else (SMALL, SMALL, SMALL, SMALL // 5)
    queued = QUEUED if size == "full" else 5
    wanted = max(1, queued // 3)
    codes: set[str] = set()
    while len(codes) < wanted:  # codes no registered entity holds (the registry demo draws from the same seed)
        fresh = {sample_credit_code("310106", rng) for _n in range(wanted - len(codes))}
        codes |= fresh - set(Organization.objects.filter(credit_code__in=fresh).values_list("credit_code", flat=True))
    strangers = [(None, code, f"上海静安未登记商户{n}") for n, code in enumerate(sorted(codes))]
    if entities:
        first = entities[0]
        by_kind = {_kind(d): d for d in depts}
        for kind in ("scjg", "wjw", "whly"):  # the first entity's licences from three departments
            plan.licence(by_kind.get(kind, depts[0]), first)
        plan.penalty(by_kind.get("scjg", depts[0]), first)
        plan.inspection(by_kind.get("scjg", depts[0]), first)
    done = {"licence": 3 if entities else 0, "penalty": 1 if entities else 0, "inspection": 1 if entities else 0}
    for n in range(counts[0] - done["licence"]):
        stranger = n < queued or not entities
        plan.licence(plan._pick(0), strangers[n % len(strangers)] if stranger else plan._entity())
    for kind, index, total, build in (
        ("penalty", 1, counts[1], plan.penalty),
        ("inspection", 2, counts[2], plan.inspection),
    ):
        for _n in range(total - done[kind]):
            build(plan._pick(index), plan._entity() if entities else strangers[0])
    swj = [d for d in depts if _kind(d) in ("swj", "scjg")] or depts
    for _n in range(counts[3]):
        plan.filing(rng.choice(swj), plan._entity() if entities else strangers[0])
    with transaction.atomic():
        for chunk in _chunks(plan.records, CHUNK):
            PooledRecord.objects.bulk_create([record for record, _content in chunk])
            RecordRevision.objects.bulk_create(
                [
                    RecordRevision(
                        record=record,
                        revision=1,
                        action=RevisionAction.CREATED,
                        content=content,
                        channel=record.channel,
                        batch_id=record.batch_id,
                        at=record.received_at,
                    )
                    for record, content in chunk
                ]
            )
            progress(len(chunk))
        audit_record(
            actor=system_actor("demo_data"),
            action="market.records_demo_load",
            target=None,
            after={
                "licence": counts[0],
                "penalty": counts[1],
                "inspection": counts[2],
                "filing": counts[3],
                "queued": queued,
            },
        )
    return []
