"""The ten data resources 静安区's departments publish in the demo (政务数据资源目录), with their
fields, sharing class, conditions or basis for not sharing, legal basis and contact.

The entity registry and the licences are query services answered in process by market's
registers (``market.entity`` / ``market.licences``); the others are datasets kept current by bulk
drops (``sharing.dataset``). Department codes are the catalog and market demos' (``310106-<KIND>``).
Legal bases are the national laws and regulations each register rests on; 《上海市政务数据资源共享
管理办法》 is the seed's rule for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..choices import FieldType, ResourceKind, SharingClass, UpdateFrequency
from ..providers import ENTITY_SCHEMA, LICENCE_SCHEMA

SHANGHAI_RULE = "《上海市政务数据资源共享管理办法》"


def f(name: str, label: str, type_: str = FieldType.STRING, *, personal: bool = False,
      key: bool = False) -> dict[str, Any]:
    return {"name": name, "label": label, "type": str(type_), "personal": personal, "key": key}


ID_KEY = f("id_number", "公民身份号码", FieldType.ID_NUMBER, personal=True, key=True)
NAME = f("name", "姓名", personal=True)


@dataclass(frozen=True)
class Spec:
    """One demo resource: its provider department kind (``310106-<KIND>``), how it is reached and
    the terms of its first version."""

    key: str
    department: str
    name: str
    kind: str
    provider: str
    sharing_class: str
    legal_basis: str
    description: str
    frequency: str
    fields: list[dict[str, Any]]
    contact: tuple[str, str]
    conditions: str = ""
    not_shared_basis: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SPECS: tuple[Spec, ...] = (
    Spec(
        key="entity", department="SCJG", name="市场主体登记信息", kind=ResourceKind.QUERY, provider="market.entity",
        sharing_class=SharingClass.UNCONDITIONAL,
        legal_basis=f"《企业信息公示暂行条例》第六条；《市场主体登记管理条例》；{SHANGHAI_RULE}",
        description="静安区登记的企业、个体工商户和农民专业合作社的登记信息（名称、类型、状态、住所、"
                    "行业、成立日期等），按统一社会信用代码查询，实时。法定代表人为个人信息，未授权时脱敏返回。",
        frequency=UpdateFrequency.REAL_TIME, fields=ENTITY_SCHEMA, contact=("沈建国", "021-52895001"),
    ),
    Spec(
        key="licences", department="SCJG", name="行政许可信息（电子证照）", kind=ResourceKind.QUERY,
        provider="market.licences", sharing_class=SharingClass.UNCONDITIONAL,
        legal_basis=f"《中华人民共和国行政许可法》第四十条；《企业信息公示暂行条例》第六条；{SHANGHAI_RULE}",
        description="各部门归集到市场主体名下的行政许可（电子证照）：证照名称、文书号、发证机关、有效期和状态，"
                    "按统一社会信用代码查询。办件中可代替申请人提交的许可证复印件。",
        frequency=UpdateFrequency.DAILY, fields=LICENCE_SCHEMA, contact=("沈建国", "021-52895001"),
    ),
    Spec(
        key="persons", department="GAFJ", name="户籍人口登记信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="仅限使用部门在办理本人申请的政务服务事项时核验户籍，须注明办件编号；不得留存、汇集或向第三方提供。",
        legal_basis=f"《中华人民共和国户口登记条例》；《中华人民共和国居民身份证法》第十三条；{SHANGHAI_RULE}",
        description="本区常住户籍人口的登记信息，按公民身份号码查询“是否在本区登记户籍”（户口簿可免交）。"
                    "由公安静安分局每日以签名文件批量报送。",
        frequency=UpdateFrequency.DAILY,
        fields=[ID_KEY, NAME, f("gender", "性别"), f("birth_date", "出生日期", FieldType.DATE),
                f("registered", "户籍状态正常", FieldType.BOOLEAN), f("district", "户籍所在区", FieldType.REGION),
                f("street", "户籍所在街道（镇）"), f("household_address", "户籍地址", personal=True)],
        contact=("陆伟民", "021-22044110"),
    ),
    Spec(
        key="social", department="RS", name="社会保险参保信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="限于办理社会保险、就业创业、人才服务等政务服务事项时核验本人参保状态。",
        legal_basis=f"《中华人民共和国社会保险法》第七十四条；{SHANGHAI_RULE}",
        description="本区参保人员的养老、医疗、失业等社会保险参保状态和累计缴费月数（社保缴费证明可免交），每月报送。",
        frequency=UpdateFrequency.MONTHLY,
        fields=[ID_KEY, NAME, f("insured", "参保状态正常", FieldType.BOOLEAN), f("insurance_type", "参保险种"),
                f("first_insured_on", "首次参保日期", FieldType.DATE),
                f("months_paid", "累计缴费月数", FieldType.INTEGER)],
        contact=("王秀英", "021-62566601"),
    ),
    Spec(
        key="property", department="GHZY", name="不动产登记信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="仅限依法办理涉及不动产的政务服务事项（如住房保障、房屋交易税收）时查询，须注明办件编号。",
        legal_basis=f"《不动产登记暂行条例》第二十七条、第二十八条；《不动产登记资料查询暂行办法》；{SHANGHAI_RULE}",
        description="本区不动产权利的登记信息：不动产权证书号、坐落、面积、用途和权利人（个人信息）。",
        frequency=UpdateFrequency.DAILY,
        fields=[f("certificate_number", "不动产权证书号", key=True), f("location", "坐落"),
                f("area", "建筑面积（平方米）", FieldType.DECIMAL), f("usage", "用途"),
                f("owner_name", "权利人", personal=True), f("owner_id_number", "权利人证件号码", FieldType.ID_NUMBER,
                                                          personal=True)],
        contact=("吴海燕", "021-62180305"),
    ),
    Spec(
        key="disability", department="MZ", name="残疾人证信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="仅限办理残疾人两项补贴、社会救助、无障碍服务等事项时核验本人残疾人证。",
        legal_basis=f"《中华人民共和国残疾人保障法》；《中华人民共和国残疾人证管理办法》；{SHANGHAI_RULE}",
        description="区残联核发的第二代残疾人证信息（残疾类别、等级、有效期），由区民政局汇总发布。",
        frequency=UpdateFrequency.WEEKLY,
        fields=[ID_KEY, NAME, f("category", "残疾类别"), f("grade", "残疾等级"),
                f("valid_to", "证件有效期至", FieldType.DATE)],
        contact=("周立新", "021-63805012"),
    ),
    Spec(
        key="dibao", department="MZ", name="最低生活保障对象信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="仅限办理社会救助、减免收费等事项时核验本人是否为在保低保对象。",
        legal_basis=f"《社会救助暂行办法》第九条至第十三条；{SHANGHAI_RULE}",
        description="本区在保最低生活保障家庭的申请人、家庭人数、月保障金额和批准日期。",
        frequency=UpdateFrequency.MONTHLY,
        fields=[ID_KEY, NAME, f("household_size", "家庭人数", FieldType.INTEGER),
                f("monthly_allowance", "月保障金额（元）", FieldType.DECIMAL),
                f("approved_on", "批准日期", FieldType.DATE)],
        contact=("周立新", "021-63805012"),
    ),
    Spec(
        key="marriage", department="MZ", name="婚姻登记信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="仅限办理生育登记、住房保障、户籍迁移等法定需核验婚姻状况的事项时查询。",
        legal_basis=f"《婚姻登记条例》；{SHANGHAI_RULE}",
        description="区婚姻登记处办理的结婚、离婚登记记录（婚姻状况、登记日期、登记机关）。",
        frequency=UpdateFrequency.DAILY,
        fields=[ID_KEY, NAME, f("marital_status", "婚姻状况"), f("registered_on", "登记日期", FieldType.DATE),
                f("registry", "登记机关")],
        contact=("周立新", "021-63805012"),
    ),
    Spec(
        key="students", department="JYJ", name="中小学生学籍信息", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.CONDITIONAL,
        conditions="仅限办理入学、转学、学生资助等教育类事项时核验本人学籍。",
        legal_basis=f"《中小学生学籍管理办法》（教基一〔2013〕7号）；{SHANGHAI_RULE}",
        description="本区中小学在籍学生的学校、年级和在籍状态。",
        frequency=UpdateFrequency.QUARTERLY,
        fields=[ID_KEY, NAME, f("school", "就读学校"), f("grade", "年级"),
                f("enrolled", "在籍", FieldType.BOOLEAN)],
        contact=("钱春梅", "021-62530067"),
    ),
    Spec(
        key="health", department="WJW", name="居民电子健康档案", kind=ResourceKind.DATASET,
        provider="sharing.dataset", sharing_class=SharingClass.NOT_SHARED,
        not_shared_basis="《中华人民共和国基本医疗卫生与健康促进法》第九十二条；《中华人民共和国个人信息保护法》第二十八条"
                         "（医疗健康信息为敏感个人信息，仅在诊疗和法定公共卫生工作中使用）。",
        legal_basis="《中华人民共和国基本医疗卫生与健康促进法》；《国家基本公共卫生服务规范》",
        description="社区卫生服务中心建立的居民健康档案。仅在目录中说明不予共享及其依据，不提供交换。",
        frequency=UpdateFrequency.ON_CHANGE,
        fields=[ID_KEY, NAME, f("health_centre", "建档社区卫生服务中心")],
        contact=("郑丽娟", "021-62473822"),
    ),
)
