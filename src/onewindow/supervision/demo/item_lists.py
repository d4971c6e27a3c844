"""The demo's item lists (issue #12 part 1; seed figures, shared/seed/figures.json → supervision):
a 双随机抽查事项清单 of 20 departments of 静安区 with 110 items, and a 联合检查事项清单 of 18 items led
by 8 departments in the seed's "1+1" and "1+2" patterns, each published once as version 1.

The items follow the names of Shanghai's and SAMR's published lists (市场监管领域部门联合抽查事项清单,
2020) where they are public; the ratios are examples (the national ratios are unconfirmed,
DOMAIN.md R4.6). The seed's fields (商标保护, 消费维权, 公共场所卫生, 经营性教育培训机构) are among them.
"""

from __future__ import annotations

from typing import Any

from onewindow.core.models import Department

from .. import services
from ..choices import ItemListKind
from ..models import CheckItem, ItemListVersion, JointCheckItem

JINGAN = "310106"
ON_SITE, DOCUMENTS, ONLINE = "on_site", "documents", "online"

# department kind → (law, target, [(item name, field, methods, ratio or "", frequency)])
RANDOM_LIST: dict[str, tuple[str, str, list[tuple[str, str, tuple[str, ...], str, str]]]] = {
    "SCJG": (
        "《中华人民共和国市场监督管理行政处罚程序规定》及相关法律法规",
        "辖区内市场主体",
        [
            ("企业公示信息的检查", "信息公示", (DOCUMENTS, ON_SITE), "3", ""),
            ("个体工商户公示信息的检查", "信息公示", (DOCUMENTS,), "1", ""),
            ("注册商标使用行为的检查", "商标保护", (ON_SITE,), "2", ""),
            ("商标印制行为的检查", "商标保护", (ON_SITE,), "5", ""),
            ("集体商标、证明商标使用行为的检查", "商标保护", (ON_SITE, DOCUMENTS), "5", ""),
            ("经营者落实消费者权益保护义务的检查", "消费维权", (ON_SITE,), "2", ""),
            ("网络交易经营者履行七日无理由退货义务的检查", "消费维权", (ONLINE,), "2", ""),
            ("预付式消费经营行为的检查", "消费维权", (ON_SITE, DOCUMENTS), "3", ""),
            ("食品销售者经营行为的检查", "食品安全", (ON_SITE,), "5", ""),
            ("餐饮服务提供者经营行为的检查", "食品安全", (ON_SITE,), "5", ""),
            ("特种设备使用单位的检查", "特种设备", (ON_SITE,), "", "每年不少于 1 次"),
            ("产品质量的监督抽查", "产品质量", (ON_SITE,), "", "按年度计划"),
            ("广告发布行为的检查", "广告监管", (ONLINE, DOCUMENTS), "2", ""),
            ("明码标价和价格行为的检查", "价格监督", (ON_SITE,), "2", ""),
            ("药品零售企业经营行为的检查", "药品医疗器械", (ON_SITE,), "10", ""),
            ("医疗器械经营企业的检查", "药品医疗器械", (ON_SITE,), "10", ""),
            ("计量器具使用的检查", "计量", (ON_SITE,), "3", ""),
        ],
    ),
    "JYJ": (
        "《中华人民共和国民办教育促进法》《上海市促进民办教育发展条例》",
        "辖区内民办教育和培训机构",
        [
            ("经营性教育培训机构办学资质的检查", "经营性教育培训机构", (ON_SITE, DOCUMENTS), "10", ""),
            ("经营性教育培训机构收费行为的检查", "经营性教育培训机构", (DOCUMENTS,), "10", ""),
            ("经营性教育培训机构场所安全的检查", "经营性教育培训机构", (ON_SITE,), "10", ""),
            ("民办学校办学行为的检查", "民办教育", (ON_SITE,), "", "每年不少于 1 次"),
            ("托育机构的检查", "民办教育", (ON_SITE,), "20", ""),
            ("校外培训广告宣传的检查", "经营性教育培训机构", (ONLINE,), "5", ""),
        ],
    ),
    "MZ": (
        "《社会团体登记管理条例》《民办非企业单位登记管理暂行条例》《养老机构管理办法》",
        "社会组织和养老机构",
        [
            ("社会团体年度检查", "社会组织", (DOCUMENTS,), "5", ""),
            ("民办非企业单位年度检查", "社会组织", (DOCUMENTS,), "5", ""),
            ("养老机构服务质量的检查", "养老服务", (ON_SITE,), "", "每年不少于 1 次"),
            ("殡葬服务机构的检查", "殡葬管理", (ON_SITE,), "20", ""),
            ("婚姻介绍服务机构的检查", "社会事务", (ON_SITE,), "10", ""),
        ],
    ),
    "WHLY": (
        "《娱乐场所管理条例》《营业性演出管理条例》《中华人民共和国旅游法》",
        "文化和旅游经营单位",
        [
            ("娱乐场所经营行为的检查", "文化市场", (ON_SITE,), "5", ""),
            ("营业性演出的检查", "文化市场", (ON_SITE,), "5", ""),
            ("旅行社经营行为的检查", "旅游市场", (ON_SITE, DOCUMENTS), "5", ""),
            ("A 级旅游景区的检查", "旅游市场", (ON_SITE,), "", "每年不少于 1 次"),
            ("上网服务营业场所的检查", "文化市场", (ON_SITE,), "5", ""),
            ("艺术品经营单位的检查", "文化市场", (ON_SITE,), "3", ""),
        ],
    ),
    "WJW": (
        "《公共场所卫生管理条例》《中华人民共和国基本医疗卫生与健康促进法》",
        "公共场所和医疗机构",
        [
            ("住宿场所卫生的检查", "公共场所卫生", (ON_SITE,), "5", ""),
            ("沐浴场所卫生的检查", "公共场所卫生", (ON_SITE,), "5", ""),
            ("美容美发场所卫生的检查", "公共场所卫生", (ON_SITE,), "5", ""),
            ("游泳场所卫生的检查", "公共场所卫生", (ON_SITE,), "", "开放期间每年不少于 1 次"),
            ("医疗机构依法执业的检查", "医疗卫生", (ON_SITE,), "10", ""),
            ("生活饮用水供水单位的检查", "公共卫生", (ON_SITE,), "10", ""),
            ("消毒产品生产企业的检查", "公共卫生", (ON_SITE,), "20", ""),
        ],
    ),
    "RS": (
        "《劳动保障监察条例》《人力资源市场暂行条例》",
        "用人单位和人力资源服务机构",
        [
            ("用人单位遵守劳动合同制度的检查", "劳动保障", (DOCUMENTS,), "3", ""),
            ("用人单位支付工资情况的检查", "劳动保障", (DOCUMENTS, ON_SITE), "3", ""),
            ("人力资源服务机构经营行为的检查", "人力资源中介", (ON_SITE,), "10", ""),
            ("劳务派遣单位的检查", "人力资源中介", (ON_SITE, DOCUMENTS), "10", ""),
            ("职业技能培训机构的检查", "职业培训", (ON_SITE,), "10", ""),
            ("用人单位参加社会保险情况的检查", "社会保险", (DOCUMENTS,), "3", ""),
        ],
    ),
    "STHJ": (
        "《中华人民共和国环境保护法》《中华人民共和国大气污染防治法》",
        "排污单位",
        [
            ("排污许可证执行情况的检查", "生态环境", (ON_SITE, DOCUMENTS), "5", ""),
            ("重点排污单位的检查", "生态环境", (ON_SITE,), "", "每年不少于 1 次"),
            ("餐饮业油烟排放的检查", "生态环境", (ON_SITE,), "5", ""),
            ("危险废物产生单位的检查", "固体废物", (ON_SITE,), "10", ""),
            ("建设项目环境影响评价制度执行的检查", "环评", (DOCUMENTS,), "5", ""),
            ("噪声排放的检查", "生态环境", (ON_SITE,), "3", ""),
        ],
    ),
    "ZJW": (
        "《建设工程质量管理条例》《建设工程安全生产管理条例》",
        "建设、施工、监理单位",
        [
            ("在建工程质量的检查", "建设工程", (ON_SITE,), "10", ""),
            ("施工现场安全生产的检查", "建设工程", (ON_SITE,), "10", ""),
            ("建筑业企业资质条件的检查", "建筑市场", (DOCUMENTS,), "5", ""),
            ("工程监理企业的检查", "建筑市场", (DOCUMENTS, ON_SITE), "5", ""),
            ("招标投标活动的检查", "建筑市场", (DOCUMENTS,), "5", ""),
            ("燃气经营企业的检查", "燃气管理", (ON_SITE,), "20", ""),
        ],
    ),
    "FGJ": (
        "《物业管理条例》《房地产经纪管理办法》",
        "物业服务企业和房地产经纪机构",
        [
            ("物业服务企业的检查", "房屋管理", (ON_SITE,), "5", ""),
            ("房地产经纪机构的检查", "房屋管理", (ON_SITE, DOCUMENTS), "5", ""),
            ("住房租赁企业的检查", "房屋管理", (ON_SITE,), "5", ""),
            ("房地产开发企业销售行为的检查", "房屋管理", (DOCUMENTS,), "10", ""),
            ("商品房预售资金监管的检查", "房屋管理", (DOCUMENTS,), "10", ""),
        ],
    ),
    "LHSR": (
        "《上海市市容环境卫生管理条例》《上海市生活垃圾管理条例》",
        "沿街商户和单位",
        [
            ("生活垃圾分类投放的检查", "市容环境", (ON_SITE,), "3", ""),
            ("户外广告设施设置的检查", "市容环境", (ON_SITE,), "5", ""),
            ("门责区环境卫生的检查", "市容环境", (ON_SITE,), "3", ""),
            ("建筑垃圾运输单位的检查", "市容环境", (ON_SITE,), "10", ""),
            ("古树名木养护的检查", "绿化管理", (ON_SITE,), "", "每年不少于 1 次"),
        ],
    ),
    "YJ": (
        "《中华人民共和国安全生产法》",
        "生产经营单位",
        [
            ("生产经营单位安全生产主体责任的检查", "安全生产", (ON_SITE,), "3", ""),
            ("危险化学品经营单位的检查", "安全生产", (ON_SITE,), "20", ""),
            ("工贸行业有限空间作业的检查", "安全生产", (ON_SITE,), "5", ""),
            ("安全培训机构的检查", "安全生产", (ON_SITE, DOCUMENTS), "10", ""),
            ("烟花爆竹经营单位的检查", "安全生产", (ON_SITE,), "", "每年不少于 2 次"),
            ("应急预案备案情况的检查", "应急管理", (DOCUMENTS,), "5", ""),
        ],
    ),
    "SWJ": (
        "《单用途商业预付卡管理办法》《商业特许经营管理条例》",
        "商贸流通企业",
        [
            ("单用途预付卡发卡企业的检查", "商贸流通", (DOCUMENTS,), "5", ""),
            ("商业特许经营备案的检查", "商贸流通", (DOCUMENTS,), "5", ""),
            ("再生资源回收经营者的检查", "商贸流通", (ON_SITE,), "5", ""),
            ("成品油零售企业的检查", "商贸流通", (ON_SITE,), "", "每年不少于 1 次"),
        ],
    ),
    "GAFJ": (
        "《旅馆业治安管理办法》《印刷业管理条例》",
        "特种行业和公共场所",
        [
            ("旅馆业治安管理的检查", "治安管理", (ON_SITE,), "5", ""),
            ("印刷企业治安管理的检查", "治安管理", (ON_SITE,), "5", ""),
            ("公章刻制企业的检查", "治安管理", (ON_SITE,), "20", ""),
            ("保安服务公司的检查", "治安管理", (ON_SITE, DOCUMENTS), "10", ""),
        ],
    ),
    "XFZD": (
        "《中华人民共和国消防法》",
        "社会单位和公众聚集场所",
        [
            ("公众聚集场所消防安全的检查", "消防安全", (ON_SITE,), "5", ""),
            ("消防安全重点单位的检查", "消防安全", (ON_SITE,), "", "每年不少于 1 次"),
            ("消防技术服务机构的检查", "消防安全", (ON_SITE, DOCUMENTS), "10", ""),
            ("高层建筑消防安全的检查", "消防安全", (ON_SITE,), "5", ""),
            ("建设工程消防验收备案的检查", "消防安全", (DOCUMENTS,), "5", ""),
        ],
    ),
    "CGZF": (
        "《上海市城市管理综合行政执法条例》",
        "沿街商户和建设工地",
        [
            ("跨门营业的检查", "城市管理", (ON_SITE,), "3", ""),
            ("占道设摊的检查", "城市管理", (ON_SITE,), "3", ""),
            ("建设工地文明施工的检查", "城市管理", (ON_SITE,), "5", ""),
            ("餐饮单位油烟污染的检查", "城市管理", (ON_SITE,), "5", ""),
        ],
    ),
    "TYJ": (
        "《全民健身条例》《经营高危险性体育项目许可管理办法》",
        "体育经营单位",
        [
            ("高危险性体育项目经营的检查", "体育市场", (ON_SITE,), "20", ""),
            ("体育培训机构的检查", "经营性教育培训机构", (ON_SITE,), "10", ""),
            ("健身场所预付费经营的检查", "体育市场", (DOCUMENTS,), "5", ""),
        ],
    ),
    "SHWJ": (
        "《中华人民共和国水法》《城镇排水与污水处理条例》",
        "取水和排水单位",
        [
            ("取水许可执行情况的检查", "水务管理", (ON_SITE, DOCUMENTS), "10", ""),
            ("排水许可执行情况的检查", "水务管理", (ON_SITE,), "5", ""),
            ("二次供水设施的检查", "水务管理", (ON_SITE,), "5", ""),
        ],
    ),
    "JTW": (
        "《中华人民共和国道路运输条例》《机动车维修管理规定》",
        "道路运输经营者",
        [
            ("道路运输企业的检查", "交通运输", (ON_SITE, DOCUMENTS), "5", ""),
            ("机动车维修企业的检查", "交通运输", (ON_SITE,), "5", ""),
            ("机动车驾驶员培训机构的检查", "交通运输", (ON_SITE,), "10", ""),
            ("公共停车场（库）经营的检查", "交通运输", (ON_SITE,), "5", ""),
        ],
    ),
    "JRB": (
        "《防范和处置非法集资条例》《融资担保公司监督管理条例》",
        "地方金融组织",
        [
            ("小额贷款公司经营行为的检查", "地方金融", (DOCUMENTS, ON_SITE), "20", ""),
            ("融资担保公司经营行为的检查", "地方金融", (DOCUMENTS, ON_SITE), "20", ""),
            ("典当行经营行为的检查", "地方金融", (ON_SITE,), "20", ""),
            ("投资类企业涉嫌非法集资的排查", "地方金融", (ONLINE, ON_SITE), "5", ""),
        ],
    ),
    "WHZF": (
        "《娱乐场所管理条例》《互联网上网服务营业场所管理条例》《出版管理条例》",
        "文化市场经营单位",
        [
            ("歌舞娱乐场所的执法检查", "文化市场", (ON_SITE,), "10", ""),
            ("出版物经营单位的执法检查", "文化市场", (ON_SITE,), "5", ""),
            ("网吧经营行为的执法检查", "文化市场", (ON_SITE,), "10", ""),
            ("演出场所的执法检查", "文化市场", (ON_SITE,), "5", ""),
        ],
    ),
}

# (lead kind, partner kinds, name, industry): the item of each department merged is its first
# item whose field matches the industry's key word, else its first item.
JOINT_LIST: tuple[tuple[str, tuple[str, ...], str, str, str], ...] = (
    ("SCJG", ("WJW",), "餐饮服务单位食品安全和卫生联合检查", "餐饮", "食品安全"),
    ("SCJG", ("CGZF", "STHJ"), "餐饮单位油烟排放和经营行为联合检查", "餐饮", "食品安全"),
    ("SCJG", ("XFZD",), "商场超市经营和消防安全联合检查", "商贸零售", "消费维权"),
    ("SCJG", ("JYJ", "TYJ"), "预付式消费经营行为联合检查", "教育培训", "消费维权"),
    ("JYJ", ("SCJG",), "经营性教育培训机构联合检查", "教育培训", "经营性教育培训机构"),
    ("JYJ", ("XFZD", "SCJG"), "经营性教育培训机构场所安全联合检查", "教育培训", "经营性教育培训机构"),
    ("JYJ", ("WJW",), "托育机构卫生和办学联合检查", "教育培训", "民办教育"),
    ("RS", ("SCJG",), "人力资源服务机构联合检查", "人力资源中介", "人力资源中介"),
    ("RS", ("GAFJ",), "劳务派遣和保安服务联合检查", "人力资源中介", "人力资源中介"),
    ("RS", ("JYJ", "SCJG"), "职业技能培训机构联合检查", "职业培训", "职业培训"),
    ("WJW", ("SCJG",), "美容美发场所卫生和经营联合检查", "生活服务", "公共场所卫生"),
    ("WJW", ("GAFJ", "XFZD"), "住宿场所卫生、治安和消防联合检查", "住宿", "公共场所卫生"),
    ("WHLY", ("WHZF",), "娱乐场所联合检查", "文化娱乐", "文化市场"),
    ("WHLY", ("XFZD", "GAFJ"), "营业性演出场所联合检查", "文化娱乐", "文化市场"),
    ("XFZD", ("YJ",), "人员密集场所消防和安全生产联合检查", "公共场所", "消防安全"),
    ("ZJW", ("YJ",), "建设工地安全生产联合检查", "建设工程", "建设工程"),
    ("STHJ", ("SCJG",), "机动车排放检验机构联合检查", "机动车检测", "生态环境"),
    ("STHJ", ("YJ", "XFZD"), "危险废物和危险化学品联合检查", "危险化学品", "固体废物"),
)


def _departments() -> dict[str, Department]:
    kinds = set(RANDOM_LIST)
    codes = {f"{JINGAN}-{kind}": kind for kind in kinds}
    return {codes[d.code]: d for d in Department.objects.filter(code__in=codes)}


def load(admin: Any) -> int:
    """Create and publish both lists through the services (idempotent: a published random list is
    the marker). Returns the number of items written."""
    if ItemListVersion.objects.filter(kind=ItemListKind.RANDOM).exists():
        return 0
    departments = _departments()
    first: dict[tuple[str, str], CheckItem] = {}
    by_department: dict[str, list[CheckItem]] = {}
    written = 0
    for kind, (law, target, items) in RANDOM_LIST.items():
        department = departments.get(kind)
        if department is None:
            continue
        for n, (name, field, methods, ratio, frequency) in enumerate(items, start=1):
            item = services.check_item_create(
                by=admin,
                department_id=department.pk,
                code=f"{kind}-{n:03d}",
                name=name,
                field=field,
                target=target,
                basis=law,
                methods=list(methods),
                ratio=ratio,
                frequency=frequency,
                category="key" if "重点" in name or frequency else "general",
                sort_order=n,
            )
            written += 1
            by_department.setdefault(kind, []).append(item)
            first.setdefault((kind, field), item)
    services.item_list_publish(by=admin, kind=ItemListKind.RANDOM, note="首次发布")
    for n, (lead, partners, name, industry, field) in enumerate(JOINT_LIST, start=1):
        if lead not in departments or any(p not in departments for p in partners):
            continue
        merged = [first.get((kind, field)) or by_department[kind][0] for kind in (lead, *partners)]
        services.joint_item_create(
            by=admin,
            code=f"LH-{n:03d}",
            name=name,
            industry=industry,
            lead_department_id=departments[lead].pk,
            partner_department_ids=[departments[p].pk for p in partners],
            check_item_ids=[i.pk for i in merged],
            basis="《市场监管领域部门联合抽查事项清单（第一版）》（2020）及各部门检查依据",
        )
        written += 1
    if JointCheckItem.objects.exists():
        services.item_list_publish(by=admin, kind=ItemListKind.JOINT, note="首次发布")
    return written
