"""The demo's 双告知 mapping table: Shanghai's 工商登记后置审批事项 for the businesses of 静安区.

Each rule names the licence, GB/T 4754-2017 prefixes and scope keywords, the kind of department
that approves it (谁审批谁监管) and the stem of its catalog item. The department is the 静安区 one
of that kind where there is one (``310106-<KIND>``, or found by name among 静安区's departments),
else the city's (``SH-<KIND>``); the catalog item is that department's item whose name begins with
the stem (the 新办 variant where there is one), else the rule names the licence without an item.
A rule whose department is left empty sends its notices to the 认领 pool. Sources: the laws in
``basis``; the pairing follows the 2017 上海市工商登记后置审批事项目录 as far as it is public.
"""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.catalog.models import ServiceItem
from onewindow.core.models import Department

from .. import services
from ..models import LicenceRule

JINGAN = "310106"


@dataclass(frozen=True)
class RuleSpec:
    licence: str
    prefixes: str
    keywords: str
    kind: str  # the department kind of the catalog demo ("" : no clear department, the 认领 pool)
    name_hint: str  # a word of the 静安区 department's name, for departments the catalog demo does not make
    item_stem: str
    basis: str


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "食品经营许可证",
        "62",
        "餐饮服务、食品销售、预包装食品、散装食品、食品经营",
        "scjg",
        "市场监督",
        "食品经营许可",
        "《中华人民共和国食品安全法》第三十五条",
    ),
    RuleSpec(
        "食品生产许可证",
        "13、14、15",
        "食品生产、食品加工",
        "scjg",
        "市场监督",
        "食品生产许可",
        "《中华人民共和国食品安全法》第三十五条",
    ),
    RuleSpec(
        "药品经营许可证（零售）",
        "5251、5252",
        "药品零售、药品批发",
        "scjg",
        "市场监督",
        "药品经营许可",
        "《中华人民共和国药品管理法》第五十一条",
    ),
    RuleSpec(
        "医疗器械经营许可证",
        "5254",
        "第三类医疗器械经营",
        "scjg",
        "市场监督",
        "医疗器械经营许可",
        "《医疗器械监督管理条例》第四十二条",
    ),
    RuleSpec(
        "娱乐场所经营许可证",
        "9011、9012",
        "歌舞娱乐、游艺娱乐、娱乐场所",
        "whly",
        "文化",
        "娱乐场所经营许可",
        "《娱乐场所管理条例》第九条",
    ),
    RuleSpec(
        "网络文化经营许可证（互联网上网服务）",
        "9013",
        "互联网上网服务",
        "whly",
        "文化",
        "互联网上网服务营业场所经营许可",
        "《互联网上网服务营业场所管理条例》第七条",
    ),
    RuleSpec(
        "营业性演出许可证",
        "8810",
        "营业性演出、演出经纪",
        "whly",
        "文化",
        "营业性演出许可",
        "《营业性演出管理条例》第六条",
    ),
    RuleSpec(
        "旅行社业务经营许可证",
        "7291",
        "旅行社业务、国内旅游业务、入境旅游业务",
        "whly",
        "文化",
        "旅行社业务经营许可",
        "《中华人民共和国旅游法》第二十八条",
    ),
    RuleSpec(
        "出版物经营许可证",
        "",
        "出版物零售、出版物批发",
        "whly",
        "文化",
        "出版物零售单位许可",
        "《出版管理条例》第三十五条",
    ),
    RuleSpec(
        "危险化学品经营许可证",
        "",
        "危险化学品经营、危险化学品批发",
        "yj",
        "应急",
        "危险化学品经营许可",
        "《危险化学品安全管理条例》第三十三条",
    ),
    RuleSpec(
        "烟花爆竹经营（零售）许可证",
        "",
        "烟花爆竹",
        "yj",
        "应急",
        "烟花爆竹经营（零售）许可",
        "《烟花爆竹安全管理条例》第三条",
    ),
    RuleSpec(
        "医疗机构执业许可证",
        "841、842",
        "医疗服务、诊所服务、门诊服务",
        "wjw",
        "卫生健康",
        "医疗机构执业登记",
        "《医疗机构管理条例》第十五条",
    ),
    RuleSpec(
        "公共场所卫生许可证",
        "",
        "住宿服务、美容服务、美发服务、沐浴服务、游泳场所",
        "wjw",
        "卫生健康",
        "公共场所卫生许可",
        "《公共场所卫生管理条例》第八条",
    ),
    RuleSpec(
        "道路运输经营许可证",
        "542、543",
        "道路货物运输、道路旅客运输",
        "jtw",
        "交通",
        "道路货物运输经营许可",
        "《中华人民共和国道路运输条例》第二十一条、第二十四条",
    ),
    RuleSpec(
        "建筑业企业资质证书",
        "47、48、49、50",
        "建设工程施工、建筑装饰工程、建筑劳务分包",
        "zjw",
        "建设",
        "建筑业企业资质许可",
        "《中华人民共和国建筑法》第十三条",
    ),
    RuleSpec("燃气经营许可证", "", "燃气经营、瓶装燃气", "zjw", "建设", "燃气经营许可", "《城镇燃气管理条例》第十五条"),
    RuleSpec(
        "民办学校办学许可证",
        "83",
        "学历教育、非学历教育、教育培训",
        "jyj",
        "教育",
        "民办学校办学许可",
        "《中华人民共和国民办教育促进法》第十二条",
    ),
    RuleSpec(
        "人力资源服务许可证",
        "7262",
        "职业中介、人力资源服务",
        "rs",
        "人力资源",
        "人力资源服务许可",
        "《人力资源市场暂行条例》第十八条",
    ),
    RuleSpec(
        "劳务派遣经营许可证",
        "7263",
        "劳务派遣",
        "rs",
        "人力资源",
        "劳务派遣经营许可",
        "《中华人民共和国劳动合同法》第五十七条",
    ),
    RuleSpec("拍卖经营批准证书", "", "拍卖业务", "swj", "商务", "拍卖企业设立审批", "《中华人民共和国拍卖法》第十一条"),
    RuleSpec(
        "烟草专卖零售许可证",
        "",
        "卷烟零售、雪茄烟零售",
        "yc",
        "烟草",
        "烟草专卖零售许可",
        "《中华人民共和国烟草专卖法》第十六条",
    ),
    RuleSpec(
        "动物诊疗许可证", "8222", "动物诊疗、宠物医院", "", "", "动物诊疗许可", "《中华人民共和国动物防疫法》第六十一条"
    ),
    RuleSpec("酒类商品零售许可证", "", "酒类零售、酒类商品零售", "", "", "", "《上海市酒类商品产销管理条例》第十八条"),
)


def department_for(spec: RuleSpec) -> Department | None:
    """The competent department: 静安区's of the kind, else found by name, else the city's."""
    if not spec.kind:
        return None
    found = Department.objects.filter(code=f"{JINGAN}-{spec.kind.upper()}", is_active=True).first()
    if found is None and spec.name_hint:
        found = (
            Department.objects.filter(
                region__code=JINGAN, level="district", is_active=True, name__contains=spec.name_hint
            )
            .order_by("sort_order", "id")
            .first()
        )
    return found or Department.objects.filter(code=f"SH-{spec.kind.upper()}", is_active=True).first()


def item_for(spec: RuleSpec, department: Department | None) -> ServiceItem | None:
    """The department's catalog item for the licence (its guide is linked from the notice)."""
    if department is None or not spec.item_stem:
        return None
    items = list(ServiceItem.objects.filter(department=department, name__startswith=spec.item_stem).order_by("id"))
    best = min(items, key=lambda item: _preference(item.name, spec.item_stem), default=None)
    # Only a change, renewal or cancellation item: the notice names the licence without a guide.
    return best if best is not None and _preference(best.name, spec.item_stem) < 9 else None


def _preference(name: str, stem: str) -> int:
    """The item a new business applies for: the stem itself, its 新办 or 首次 variant, a 设立
    item, then any other but those of changes, renewals and cancellations."""
    if name == stem:
        return 0
    for rank, word in enumerate(("新办", "首次", "设立")):
        if word in name:
            return rank + 1
    return 9 if any(w in name for w in ("注销", "变更", "延续", "补证", "增项")) else 5


def seed(by: object) -> list[LicenceRule]:
    """Create the demo rules through the service (idempotent: rules already there are kept)."""
    if LicenceRule.objects.exists():
        return list(LicenceRule.objects.order_by("sort_order", "id"))
    rules = []
    for index, spec in enumerate(RULES):
        department = department_for(spec)
        item = item_for(spec, department)
        rules.append(
            services.licence_rule_create(
                by=by,
                licence_name=spec.licence,
                industry_prefixes=spec.prefixes,
                keywords=spec.keywords,
                item_code=item.code if item else "",
                department_id=department.pk if department else None,
                region_prefix=JINGAN,
                basis=spec.basis,
                sort_order=(index + 1) * 10,
            )
        )
    return rules
