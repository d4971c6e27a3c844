"""Demo catalog: Shanghai departments and the online hall's items, reproducing the seed figures.

``load(progress, seed)`` (run by ``onewindow demo_data`` after ``core.demo`` has loaded the
regions) creates the departments (37 municipal bodies, 15 departments in each of the 16
districts, and the 临汾路街道 community affairs centre) and 10,741 implementation items:

- 785 city approval items, 100 of them 全程网上办理; 246 city service items;
- 6,500 district approval items over the 16 districts (``DISTRICT_APPROVAL_COUNTS``), 45 per
  district fully online (720); 190 service items per district (3,040);
- 170 personal service items of 临汾路街道社区事务受理服务中心 (静安区, 310106021), in force since
  ``LINFEN_VALID_FROM`` (before the seed window 2016-04-01 → 2017-09-05); 5 of them withdrawn in
  2016–2017 (``LINFEN_WITHDRAWN``: version 2, status withdrawn, dated in the history — the seed's
  "5 items withdrawn" of issue #14, decided on the center's volume review).

Deterministic from ``seed``; bulk inserts in one transaction (all or nothing); idempotent: a
second run finds the data and returns at once. Names come from ``demo_names`` (real item stems
with real variants), never "Item 1234".
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from stdnum.cn import uscc

from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import Department, Region

from . import demo_names as N
from .choices import LEVEL_RANK, Category, DayUnit, DepthLevel, HandlingType, ItemStatus, Level, MaterialForm
from .models import BasicItem, ItemType, ItemVersion, Material, ServiceItem
from .search_keys import name_search_keys
from .services import bump_generation, item_types_seed

PASSPORT = "普通护照签发"
VALID_FROM = date(2017, 9, 1)
#: The 临汾路 center's items are older than the seed window (统计 since 2016-04-01).
LINFEN_VALID_FROM = date(2015, 10, 1)
#: The 临汾路 items withdrawn in the seed window (name → withdrawal date, reason): certificates
#: abolished in the 2016–2017 清理证明 campaign and a subsidy merged into another; none had a case
#: since 2016-04 (cases.demo.seed_window keeps them at zero).
LINFEN_WITHDRAWN: dict[str, tuple[date, str]] = {
    "流动人口婚育证明办理": (date(2016, 7, 15), "流动人口婚育证明已取消，改为个人承诺（自2016-04起零办件）"),
    "婚育证明开具": (date(2016, 11, 1), "婚育证明已列入取消的证明事项（自2016-04起零办件）"),
    "计划生育情况证明开具": (date(2017, 2, 20), "计划生育情况证明已取消，由部门间核查代替（自2016-04起零办件）"),
    "粮油帮困申请": (date(2017, 5, 8), "粮油帮困并入临时救助（自2016-04起零办件）"),
    "有线电视费减免申请": (date(2017, 8, 1), "有线电视费减免改由运营商直接办理（自2016-04起零办件）"),
}
_DEPTH_CODES = {0: "", 1: "1", 2: "1^2^3", 3: "1^2^3^4", 4: "1^2^3^4^5^6^7"}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(key: str, region_code: str) -> str:
    """A valid 统一社会信用代码 (GB 32100, DOMAIN.md R5.3) for a government body: 1 机构编制 +
    1 机关 + region + a 组织机构代码 (GB 11714, with its check digit) derived from ``key``."""
    digits = str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[:8]
    check = 11 - sum(int(d) * w for d, w in zip(digits, _ORG_WEIGHTS, strict=True)) % 11
    org = digits + {10: "X", 11: "0"}.get(check, str(check))
    body = f"11{region_code[:6]}{org}"
    return body + uscc.calc_check_digit(body)


def _departments(districts: list[Region], city: Region, linfen: Region) -> dict[str, Department]:
    wanted: list[Department] = []
    for index, (kind, name, short) in enumerate(N.CITY_DEPARTMENTS):
        wanted.append(Department(code=f"SH-{kind.upper()}", name=name, short_name=short, level=Level.CITY,
                                 region=city, credit_code=credit_code(name, "310000"), sort_order=index + 1))
    for d_index, district in enumerate(districts):
        for index, (kind, suffix, short) in enumerate(N.DISTRICT_DEPARTMENTS):
            name = f"{district.name}{suffix}"
            wanted.append(Department(code=f"{district.code}-{kind.upper()}", name=name, short_name=short,
                                     level=Level.DISTRICT, region=district,
                                     credit_code=credit_code(name, district.code),
                                     sort_order=100 + d_index * 20 + index))
    wanted.append(Department(code=f"{linfen.code}-SQSW", name=N.LINFEN_CENTER, short_name="临汾路社区事务受理中心",
                             level=Level.STREET, region=linfen,
                             credit_code=credit_code(N.LINFEN_CENTER, "310106"), sort_order=900))
    existing = {d.code: d for d in Department.objects.filter(code__in=[w.code for w in wanted])}
    Department.objects.bulk_create([w for w in wanted if w.code not in existing])
    return {d.code: d for d in Department.objects.filter(code__in=[w.code for w in wanted])}


def _round_robin(lists: list[list[Any]], count: int) -> list[Any]:
    """Take one from each list in turn until ``count`` are taken (spreads items over departments)."""
    taken: list[Any] = []
    iters = [iter(lst) for lst in lists]
    while len(taken) < count and iters:
        alive = []
        for it in iters:
            value = next(it, None)
            if value is None:
                continue
            taken.append(value)
            alive.append(it)
            if len(taken) == count:
                break
        iters = alive
    if len(taken) < count:
        raise RuntimeError(f"demo name pool too small: {len(taken)} < {count}")
    return taken


class _Builder:
    """Collects the rows of every item in memory, then inserts them in a few bulk statements."""

    def __init__(self, rng: random.Random, types: dict[str, ItemType]) -> None:
        self.rng = rng
        self.types = types
        self.basic: dict[tuple[str, str], BasicItem] = {}
        self.items: list[ServiceItem] = []
        self.contents: list[dict[str, Any]] = []
        self.keys: dict[str, tuple[str, str]] = {}

    def basic_item(self, name: str, type_code: str, category: str) -> BasicItem:
        key = (name, type_code)
        if key not in self.basic:
            code = f"{type_code}{len(self.basic) + 1:06d}0000"
            self.basic[key] = BasicItem(code=code, name=name, item_type=self.types[type_code], category=category)
        return self.basic[key]

    def add(self, *, dept: Department, region: Region, district: Region | None, level: str, name: str,
            type_code: str, category: str, basis: str, fully_online: bool, personal: bool) -> None:
        basic = self.basic_item(name, type_code, category)
        if name not in self.keys:
            self.keys[name] = name_search_keys(name)
        pinyin, initials = self.keys[name]
        content = self._content(name, type_code, category, basis, fully_online, personal, level)
        self.items.append(ServiceItem(
            code=f"{dept.credit_code}{basic.code}", basic_item=basic, department=dept, region=region,
            district=district, level=level, level_rank=LEVEL_RANK[Level(level)],
            # The passport items are the city's most requested (热门事项): curated to the front.
            sort_order=1 if name == PASSPORT else 2 if "护照" in name else self.rng.randint(10, 999),
            name=name, name_pinyin=pinyin, name_initials=initials, item_type=self.types[type_code],
            category=category, depth_level=content["depth_level"], fully_online=fully_online,
            status=ItemStatus.ACTIVE))
        self.contents.append(content)

    def _content(self, name: str, type_code: str, category: str, basis: str, fully_online: bool,
                 personal: bool, level: str) -> dict[str, Any]:
        rng = self.rng
        immediate = category == Category.SERVICE and rng.random() < 0.55
        if category == Category.APPROVAL:
            statutory = {"01": 20, "05": 30, "07": 15, "08": 30}.get(type_code, 20)
            promised = rng.choice([3, 5, 5, 7, 10, 12, 15, 20])
            promised = min(promised, statutory)
            if name == PASSPORT:  # 护照法 art. 6: 15 days; Shanghai promises 7 working days
                statutory, promised = 15, 7
        else:
            statutory, promised = None, (0 if immediate else rng.choice([1, 3, 5, 7, 10]))
        depth = DepthLevel.IV if fully_online else rng.choice([1, 2, 2, 3, 3, 3])
        channels = ["online", "appointment"] if fully_online else ["window", "appointment"]
        if depth >= 2:
            channels.insert(0, "online")
        if level == Level.STREET:
            channels += ["kiosk", "wechat"]
        fee_free, fee_text, fee_amount = True, "", None
        if name == PASSPORT:
            fee_free, fee_text, fee_amount = False, "120元/本（发改价格规〔2019〕914号）", Decimal("120.00")
        elif name.startswith("不动产登记") and rng.random() < 0.5:
            fee_free, fee_text, fee_amount = False, "住宅类80元/件；非住宅类550元/件", Decimal("80.00")
        schema: dict[str, Any] = {}
        if fully_online or depth >= 3:
            # Personal fields are marked (catalog.personal_fields): validated, encrypted, masked.
            schema = {"type": "object", "title": name, "required": ["applicant_name", "contact_phone"],
                      "properties": {
                          "applicant_name": {"type": "string", "title": "申请人（单位）名称",
                                             "x-personal": "name"},
                          ("id_number" if personal else "credit_code"):
                              ({"type": "string", "title": "身份证号码", "format": "cn-resident-id"} if personal
                               else {"type": "string", "title": "统一社会信用代码"}),
                          "contact_phone": {"type": "string", "title": "联系电话", "format": "cn-mobile"},
                          "description": {"type": "string", "title": "申请事项说明"}}}
        visits = 0 if fully_online else (1 if depth >= 2 else rng.choice([1, 2]))
        return {
            "name": name, "category": category, "item_type": self.types[type_code],
            "legal_basis": ("《中华人民共和国护照法》第四条、第五条、第六条；《中华人民共和国出境入境管理法》"
                            if name == PASSPORT else basis),
            "handling_type": HandlingType.IMMEDIATE if immediate else HandlingType.PROMISED,
            "statutory_limit": statutory, "statutory_unit": DayUnit.WORKING,
            "statutory_note": ("自受理申请之日起计算（《中华人民共和国护照法》第六条）" if name == PASSPORT
                               else "自受理之日起计算（《中华人民共和国行政许可法》第四十二条、第八十二条）"
                               if statutory else ""),
            "promised_limit": promised, "promised_unit": DayUnit.WORKING,
            "promised_note": "" if immediate else "自受理之日起计算，不含法定不计时环节",
            "fee_free": fee_free, "fee_text": fee_text, "fee_amount": fee_amount,
            "depth_level": depth, "depth_codes": _DEPTH_CODES[depth], "fully_online": fully_online,
            "channels": "^".join(channels), "on_site_visits": visits,
            "on_site_reason": "" if fully_online else ("采集指纹和人像，核验身份证件原件" if name == PASSPORT
                                                       else "核验申请材料原件并领取办理结果"),
            "form_schema": schema, "status": ItemStatus.ACTIVE, "valid_from": VALID_FROM,
            "materials": _materials(name, category, personal),
        }


def _materials(name: str, category: str, personal: bool) -> list[tuple[str, str, int, bool, str]]:
    if name == PASSPORT:
        return [("《中国公民出入境证件申请表》", MaterialForm.ORIGINAL, 1, True, "现场填写或网上预填"),
                ("居民身份证", MaterialForm.ORIGINAL, 1, True, "有效期内"),
                ("近期彩色证件照片", MaterialForm.ORIGINAL, 1, False, "可现场免费拍摄"),
                ("户口簿", MaterialForm.ORIGINAL, 1, False, "未满16周岁者提交")]
    rows: list[tuple[str, str, int, bool, str]] = [(f"《{name}申请表》", MaterialForm.ORIGINAL, 1, True, "")]
    if personal or category == Category.SERVICE:
        rows += [("申请人居民身份证", MaterialForm.BOTH, 1, True, "原件核验，复印件留存"),
                 ("户口簿或上海市居住证", MaterialForm.COPY, 1, False, "")]
    else:
        rows += [("营业执照或统一社会信用代码证书", MaterialForm.COPY, 1, True, "加盖单位公章"),
                 ("法定代表人身份证明", MaterialForm.COPY, 1, True, ""),
                 ("委托代理人的授权委托书及身份证件", MaterialForm.ORIGINAL, 1, False, "委托办理时提交")]
        if "许可" in name or "审批" in name:
            rows.append(("经营场所或项目场地证明材料", MaterialForm.COPY, 1, True, "房产证或租赁合同"))
    return rows


def _kind_lists(kind: str, category: str, rng: random.Random | None = None) -> list[tuple[str, str]]:
    _basis, approvals, services = N.KINDS[kind]
    names = N.expand(approvals if category == Category.APPROVAL else services)
    if category == Category.SERVICE:
        names = [(n, "20") for n, _t in names]
    if rng is not None:
        rng.shuffle(names)
    return names


def _plan(districts: list[Region], city: Region, linfen: Region, depts: dict[str, Department],
          rng: random.Random, types: dict[str, ItemType]) -> _Builder:
    b = _Builder(rng, types)
    kinds = [kind for kind, _n, _s in N.CITY_DEPARTMENTS]
    for category, count, online in ((Category.APPROVAL, N.CITY_APPROVAL_COUNT, N.CITY_FULLY_ONLINE),
                                    (Category.SERVICE, N.CITY_SERVICE_COUNT, 40)):
        lists = [[(depts[f"SH-{k.upper()}"], n, t) for n, t in _kind_lists(k, category)] for k in kinds]
        chosen = _round_robin(lists, count)
        online_idx = set(rng.sample([i for i, (_d, n, _t) in enumerate(chosen) if n != PASSPORT], online))
        for i, (dept, name, type_code) in enumerate(chosen):
            b.add(dept=dept, region=city, district=None, level=Level.CITY, name=name, type_code=type_code,
                  category=category, basis=N.KINDS[_kind(dept)][0], fully_online=i in online_idx,
                  personal=category == Category.SERVICE or type_code in ("05", "08"))
    for district in districts:
        d_kinds = [kind for kind, _n, _s in N.DISTRICT_DEPARTMENTS]
        rng.shuffle(d_kinds)
        for category, count, online in (
                (Category.APPROVAL, N.DISTRICT_APPROVAL_COUNTS[district.code], N.DISTRICT_FULLY_ONLINE),
                (Category.SERVICE, N.DISTRICT_SERVICE_COUNT, 30)):
            lists = [[(depts[f"{district.code}-{k.upper()}"], n, t) for n, t in _kind_lists(k, category, rng)]
                     for k in d_kinds]
            chosen = _round_robin(lists, count)
            online_idx = set(rng.sample(range(len(chosen)), online))
            for i, (dept, name, type_code) in enumerate(chosen):
                b.add(dept=dept, region=district, district=district, level=Level.DISTRICT, name=name,
                      type_code=type_code, category=category, basis=N.KINDS[_kind(dept)][0],
                      fully_online=i in online_idx,
                      personal=category == Category.SERVICE or type_code in ("05", "08"))
    center = depts[f"{linfen.code}-SQSW"]
    for name, _t in N.expand(N.COMMUNITY_ITEMS)[:N.COMMUNITY_COUNT]:
        b.add(dept=center, region=linfen, district=linfen.parent, level=Level.STREET, name=name, type_code="20",
              category=Category.SERVICE, basis="《上海市社区事务受理服务中心管理办法》", fully_online=False,
              personal=True)
    return b


def _kind(dept: Department) -> str:
    return dept.code.rsplit("-", 1)[1].lower()


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _linfen_withdrawals(plan: _Builder, versions: list[ItemVersion],
                        linfen: Region) -> list[tuple[ItemVersion, dict[str, Any]]]:
    """Version 2 (withdrawn, dated in the history) of each ``LINFEN_WITHDRAWN`` item, as
    ``services.item_withdraw`` writes it but with the historical date (the service stamps today);
    the item's status follows (its current version is set after the insert)."""
    out: list[tuple[ItemVersion, dict[str, Any]]] = []
    for item, version, content in zip(plan.items, versions, plan.contents, strict=True):
        if item.region_id != linfen.pk or item.name not in LINFEN_WITHDRAWN:
            continue
        day, reason = LINFEN_WITHDRAWN[item.name]
        fields = {k: v for k, v in content.items() if k != "materials"}
        fields.update(status=ItemStatus.WITHDRAWN, status_reason=reason, status_date=day, valid_from=day,
                      change_note=reason)
        out.append((ItemVersion(item=item, number=version.number + 1, **fields), content))
        item.status = ItemStatus.WITHDRAWN
    ServiceItem.objects.filter(pk__in=[v.item.pk for v, _c in out]).update(status=ItemStatus.WITHDRAWN)
    return out


def load(progress: Callable[[int], object], seed: int) -> None:
    """Load the demo departments and catalog once (idempotent; all or nothing)."""
    item_types_seed()
    if ServiceItem.objects.filter(department__code="SH-GA", name=PASSPORT).exists():
        progress(ServiceItem.objects.count())
        return
    regions = {r.code: r for r in Region.objects.filter(code__in=["310000", N.LINFEN_STREET,
                                                                   *N.DISTRICT_APPROVAL_COUNTS])}
    missing = {"310000", N.LINFEN_STREET, *N.DISTRICT_APPROVAL_COUNTS} - set(regions)
    if missing:
        raise RuntimeError(f"regions missing (load core demo data first): {sorted(missing)}")
    districts = [regions[code] for code in N.DISTRICT_APPROVAL_COUNTS]
    rng = random.Random(seed)
    types = {t.code: t for t in ItemType.objects.all()}
    with transaction.atomic():
        depts = _departments(districts, regions["310000"], regions[N.LINFEN_STREET])
        plan = _plan(districts, regions["310000"], regions[N.LINFEN_STREET], depts, rng, types)
        BasicItem.objects.bulk_create(plan.basic.values(), batch_size=500)
        for chunk in _chunks(plan.items, 1000):
            ServiceItem.objects.bulk_create(chunk)
            progress(len(chunk) // 2)
        versions = []
        for item, content in zip(plan.items, plan.contents, strict=True):
            fields = {k: v for k, v in content.items() if k != "materials"}
            versions.append(ItemVersion(item=item, number=1, **fields))
        for version in versions:
            if version.item.region_id == regions[N.LINFEN_STREET].pk:
                version.valid_from = LINFEN_VALID_FROM
        withdrawals = _linfen_withdrawals(plan, versions, regions[N.LINFEN_STREET])
        for chunk in _chunks(versions + [v for v, _c in withdrawals], 1000):
            ItemVersion.objects.bulk_create(chunk)
            progress(len(chunk) // 2)
        materials = [Material(version=version, name=m[0], form=m[1], copies=m[2], required=m[3], note=m[4],
                              sort=i)
                     for version, content in [*zip(versions, plan.contents, strict=True), *withdrawals]
                     for i, m in enumerate(content["materials"])]
        Material.objects.bulk_create(materials, batch_size=2000)
        ServiceItem.objects.filter(current_version__isnull=True).update(current_version=Subquery(
            ItemVersion.objects.filter(item=OuterRef("pk")).order_by("-number").values("pk")[:1]))
        audit_record(actor=system_actor("demo_data"), action="catalog.demo_load", target=None,
                     after={"items": len(plan.items), "departments": len(depts), "seed": seed})
        bump_generation()
