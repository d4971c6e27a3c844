"""Choices of supervision: officers' specialties and conflicts, and the 双告知 task lifecycle."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Specialty(models.TextChoices):
    """执法专长: the fields an enforcement officer may be drawn for (双随机, DOMAIN.md R4.1)."""

    REGISTRATION = "registration", _("登记监管")
    FOOD = "food", _("食品安全")
    DRUG = "drug", _("药品医疗器械")
    SPECIAL_EQUIPMENT = "special_equipment", _("特种设备")
    PRODUCT_QUALITY = "product_quality", _("产品质量")
    ADVERTISING = "advertising", _("广告监管")
    PRICING = "pricing", _("价格监督")
    INTELLECTUAL_PROPERTY = "intellectual_property", _("知识产权")
    CULTURE = "culture", _("文化市场")
    HEALTH = "health", _("卫生监督")
    SAFETY = "safety", _("安全生产")
    ENVIRONMENT = "environment", _("生态环境")
    CONSTRUCTION = "construction", _("建设工程")
    TRANSPORT = "transport", _("交通运输")
    EDUCATION = "education", _("教育")
    HOUSING = "housing", _("房屋管理")


class ConflictRelation(models.TextChoices):
    """回避关系: why an officer may not inspect an entity (行政处罚法 art. 43, DOMAIN.md R4.4)."""

    RELATIVE = "relative", _("近亲属在该主体任职或持股")
    INVESTMENT = "investment", _("本人持股或投资")
    FORMER_EMPLOYMENT = "former_employment", _("曾在该主体任职")
    BUSINESS = "business", _("存在业务往来")
    OTHER = "other", _("其他利害关系")


class ChangeKind(models.TextChoices):
    """What a market entity did that triggers 双告知 (DOMAIN.md R5.1 step 1)."""

    REGISTERED = "registered", _("设立登记")
    SCOPE_CHANGED = "scope_changed", _("经营范围变更")


class TaskStatus(models.TextChoices):
    """The 双告知 task of one department (告知部门, DOMAIN.md R5.1 steps 3–4):
    pool (认领) → received, or pending → received → answered."""

    POOL = "pool", _("待认领")
    PENDING = "pending", _("待签收")
    RECEIVED = "received", _("已签收")
    ANSWERED = "answered", _("已反馈")


#: Statuses of a task still waiting for its department's answer.
OPEN_STATUSES = (TaskStatus.POOL, TaskStatus.PENDING, TaskStatus.RECEIVED)


class TaskAction(models.TextChoices):
    """Steps of a 双告知 task's timeline; the first three move its status (workflow.py)."""

    CLAIM = "claim", _("认领")
    RECEIVE = "receive", _("签收")
    ANSWER = "answer", _("反馈")
    DISPATCH = "dispatch", _("推送告知")
    REMIND = "remind", _("到期提醒")
    OVERDUE = "overdue", _("超期提醒")
    RECALCULATE = "recalculate", _("期限重算")


class Answer(models.TextChoices):
    """反馈结果: what the competent department found (issue #11 part 6)."""

    APPLIED = "applied", _("已申请许可")
    ISSUED = "issued", _("已发放许可")
    INSPECTED = "inspected", _("已现场核查")
    NOT_NEEDED = "not_needed", _("无需许可")
    NOT_FOUND = "not_found", _("查无此主体")


class ItemListKind(models.TextChoices):
    """The two published item lists (DOMAIN.md R4.1–R4.3): 随机抽查事项清单 and 联合抽查事项清单."""

    RANDOM = "random", _("双随机抽查事项清单")
    JOINT = "joint", _("联合检查事项清单")


class ItemCategory(models.TextChoices):
    """一般检查事项 have a limited ratio, 重点检查事项 none (SAMR 2019-02 notice, DOMAIN.md R4.2)."""

    GENERAL = "general", _("一般检查事项")
    KEY = "key", _("重点检查事项")


class CheckMethod(models.TextChoices):
    """检查方式 of a list item (issue #12 part 1)."""

    ON_SITE = "on_site", _("实地核查")
    DOCUMENTS = "documents", _("书面检查")
    ONLINE = "online", _("网络监测")


class DrawPlanKind(models.TextChoices):
    """双随机抽查 by one department, or 联合检查 led by one with partners (DOMAIN.md R4.3)."""

    RANDOM = "random", _("双随机抽查")
    JOINT = "joint", _("联合检查")


class DrawPlanStatus(models.TextChoices):
    """A draw plan's stages (issue #12 part 3; ``workflow.PLAN_TRANSITIONS``)."""

    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    FROZEN = "frozen", _("名录已冻结")
    DRAWN = "drawn", _("已抽取")
    CLOSED = "closed", _("检查已结束")
    CANCELLED = "cancelled", _("已撤销")


class DrawPlanAction(models.TextChoices):
    """Steps of a plan's timeline; the first six move its status (``workflow.PLAN_TRANSITIONS``)."""

    PUBLISH = "publish", _("发布任务")
    FREEZE = "freeze", _("冻结名录")
    DRAW = "draw", _("录入随机数并抽取")
    CLOSE = "close", _("结束检查")
    CANCEL = "cancel", _("撤销任务")
    PUBLISH_RESULTS = "publish_results", _("公示检查结果")
    REPLACE = "replace", _("替换执法人员")


class InspectionStatus(models.TextChoices):
    """One drawn entity's inspection (``workflow.INSPECTION_TRANSITIONS``)."""

    SCHEDULED = "scheduled", _("待检查")
    RECORDED = "recorded", _("已录入结果")
    CLOSED = "closed", _("已办结")


class ResultOutcome(models.TextChoices):
    """检查结果 per entity and item (issue #12 part 6)."""

    NO_PROBLEM = "no_problem", _("未发现问题")
    RECTIFY = "rectify", _("发现问题责令整改")
    NOT_DISCLOSED = "not_disclosed", _("未按规定公示")
    UNCOOPERATIVE = "uncooperative", _("不配合检查")
    REFERRED = "referred", _("移交立案")


class ObjectionStatus(models.TextChoices):
    """An entity's 异议 to an inspection result."""

    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    REJECTED = "rejected", _("异议不成立")
