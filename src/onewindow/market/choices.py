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
