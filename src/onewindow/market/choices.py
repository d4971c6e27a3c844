"""Choices of the market-entity registry (市场主体库), issue #11.

Other helpers of the app append their classes at the end of this module.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntityType(models.TextChoices):
    """市场主体类型: the enterprise kinds of the registration rules, 个体工商户, 农民专业合作社 and
    branches (分支机构)."""

    LIMITED_COMPANY = "limited_company", _("有限责任公司")
    JOINT_STOCK_COMPANY = "joint_stock_company", _("股份有限公司")
    SOLE_PROPRIETORSHIP = "sole_proprietorship", _("个人独资企业")
    PARTNERSHIP = "partnership", _("合伙企业")
    STATE_OWNED = "state_owned", _("全民所有制企业")
    COLLECTIVE = "collective", _("集体所有制企业")
    FOREIGN_INVESTED = "foreign_invested", _("外商投资企业")
    BRANCH = "branch", _("分支机构")
    INDIVIDUAL_BUSINESS = "individual_business", _("个体工商户")
    FARMER_COOPERATIVE = "farmer_cooperative", _("农民专业合作社")


class EntityStatus(models.TextChoices):
    """登记状态: 存续 (in business, 在营/开业), 吊销 (licence revoked), 注销 (deregistered), 迁出 (moved
    to another registration authority)."""

    ACTIVE = "active", _("存续")
    REVOKED = "revoked", _("吊销")
    DEREGISTERED = "deregistered", _("注销")
    MOVED_OUT = "moved_out", _("迁出")


class RiskGrade(models.TextChoices):
    """企业信用风险分类 (国市监信发〔2022〕6号, DOMAIN.md R4.6): A low risk … D high risk, monthly."""

    A = "A", _("A类（信用风险低）")
    B = "B", _("B类（信用风险一般）")
    C = "C", _("C类（信用风险较高）")
    D = "D", _("D类（信用风险高）")


class IndustryLevel(models.TextChoices):
    """GB/T 4754-2017 的四级分类: 门类 (letter), 大类 (2 digits), 中类 (3), 小类 (4)."""

    SECTION = "section", _("门类")
    DIVISION = "division", _("大类")
    GROUP = "group", _("中类")
    CLASS = "class", _("小类")


class VersionKind(models.TextChoices):
    """What made a registry version (变更记录)."""

    REGISTERED = "registered", _("设立登记")
    UPDATED = "updated", _("变更登记")
    STATUS = "status", _("状态变更")
    RISK_GRADE = "risk_grade", _("风险分类")
    IMPORTED = "imported", _("批量导入")


class ImportStatus(models.TextChoices):
    """State of one bulk import of the registry."""

    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


# --------------------------------------------------------------------------- 信息归集 (records)
class RecordKind(models.TextChoices):
    """归集信息类别: the records other departments pool under an entity's credit code (issue #11 part 3)."""

    LICENCE = "licence", _("行政许可")
    FILING = "filing", _("备案")
    PENALTY = "penalty", _("行政处罚")
    INSPECTION = "inspection", _("检查结果")


class RecordStatus(models.TextChoices):
    """归集信息状态. A revoked record (撤销) keeps its row and history; it is never deleted."""

    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("暂停")
    CANCELLED = "cancelled", _("注销")
    REVOKED = "revoked", _("撤销")


class RecordChannel(models.TextChoices):
    """归集渠道: how a record reached the platform (its provenance)."""

    API = "api", _("部门接口")
    UPLOAD = "upload", _("表格上传")
    CASE = "case", _("本平台办件")


class PenaltyKind(models.TextChoices):
    """行政处罚种类 (行政处罚法 art. 9, 2021 text): the kinds a penalty decision may combine."""

    WARNING = "warning", _("警告")
    FINE = "fine", _("罚款")
    CONFISCATION = "confiscation", _("没收违法所得、没收非法财物")
    SUSPENSION = "suspension", _("责令停产停业")
    REVOCATION = "revocation", _("吊销许可证件")


class DisclosureStatus(models.TextChoices):
    """公示状态 of a penalty (企业信息公示暂行条例 art. 6/7: published within 20 working days)."""

    PENDING = "pending", _("待公示")
    DISCLOSED = "disclosed", _("已公示")
    WITHDRAWN = "withdrawn", _("已撤下")


class InspectionResult(models.TextChoices):
    """检查结果, in the wording of the national 双随机 result list (DOMAIN.md R4.5)."""

    NO_ISSUE = "no_issue", _("未发现问题")
    CORRECTED = "corrected", _("发现问题已责令改正")
    FOLLOW_UP = "follow_up", _("发现问题待后续处理")
    UNREACHABLE = "unreachable", _("通过登记的住所（经营场所）无法联系")
    NO_ACTIVITY = "no_activity", _("未发现开展本次抽查涉及的经营活动")
    REFUSED = "refused", _("不配合检查情节严重")


class RevisionAction(models.TextChoices):
    """What made a revision of a pooled record (历史版本)."""

    CREATED = "created", _("首次归集")
    CORRECTED = "corrected", _("更正")
    REVOKED = "revoked", _("撤销")


class ObjectionStatus(models.TextChoices):
    """异议处理状态: open until the source department answers; upheld (the record stands) or corrected."""

    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("维持原记录")
    CORRECTED = "corrected", _("已更正")


# --------------------------------------------------------------------------- 联合惩戒 (sanctions)
class SanctionList(models.TextChoices):
    """联合惩戒名单 (国发〔2016〕33号, DOMAIN.md R5.2): the lists a listing belongs to. The first two name
    enterprises (市场监管); 失信被执行人 (法释〔2017〕7号) may name a person or an organization."""

    BUSINESS_ANOMALY = "business_anomaly", _("经营异常名录")
    SERIOUS_VIOLATION = "serious_violation", _("严重违法失信企业名单")
    DISHONEST_DEBTOR = "dishonest_debtor", _("失信被执行人名单")


class SanctionSubject(models.TextChoices):
    """Who is listed: an organization (by credit code) or a natural person (by ID number)."""

    ORGANIZATION = "organization", _("组织")
    PERSON = "person", _("自然人")


class SanctionMeasure(models.TextChoices):
    """惩戒措施 a listing carries: a warning at the window, a refusal of named items or item types, a
    higher weight in the 双随机 draws (issue #12 part 2), public disclosure."""

    WINDOW_WARNING = "window_warning", _("窗口受理提示")
    WINDOW_REFUSAL = "window_refusal", _("限制办理事项")
    DRAW_WEIGHT = "draw_weight", _("提高抽查比例")
    PUBLIC_DISCLOSURE = "public_disclosure", _("向社会公示")


class SanctionStatus(models.TextChoices):
    """State of a listing: listed (在列), a credit repair requested (信用修复申请中), removed (已移出).
    A rejected repair returns the listing to listed."""

    LISTED = "listed", _("在列")
    REPAIR_REQUESTED = "repair_requested", _("信用修复申请中")
    REMOVED = "removed", _("已移出")


class SanctionAction(models.TextChoices):
    """What happened to a listing (its timeline)."""

    LIST = "list", _("列入")
    CORRECT = "correct", _("更正")
    REQUEST_REPAIR = "request_repair", _("申请信用修复")
    APPROVE_REPAIR = "approve_repair", _("准予移出")
    REJECT_REPAIR = "reject_repair", _("不予移出")
