"""Choice lists of the accounts app (证件类型, 性别, 组织类别, 角色, 委托范围)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdType(models.TextChoices):
    """证件类型: the identity documents accepted for real-name registration (实名认证)."""

    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident", _("外国人永久居留身份证")


class Gender(models.TextChoices):
    """性别 (GB/T 2261.1-2003: 0 未知, 1 男, 2 女, 9 未说明)."""

    UNKNOWN = "unknown", _("未知")
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class OrganizationKind(models.TextChoices):
    """组织类别, as the second character of the credit code groups them (GB 32100-2015)."""

    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL_BUSINESS = "individual_business", _("个体工商户")
    FARMER_COOPERATIVE = "farmer_cooperative", _("农民专业合作社")
    SOCIAL_ORGANIZATION = "social_organization", _("社会组织")
    PUBLIC_INSTITUTION = "public_institution", _("机关事业单位")
    OTHER = "other", _("其他组织")


class MandateScope(models.TextChoices):
    """委托范围: every item, or only the listed catalog item codes."""

    ALL = "all", _("全部事项")
    ITEMS = "items", _("指定事项")


class StaffRoleKind(models.TextChoices):
    """工作人员角色 (staff roles) of the online hall and the service centers."""

    WINDOW_CLERK = "window_clerk", _("受理员")
    REVIEWER = "reviewer", _("审核员")
    CENTER_MANAGER = "center_manager", _("中心负责人")
    DEPARTMENT_ADMIN = "department_admin", _("部门管理员")
    REGULATOR = "regulator", _("监管人员")
    DATA_CLERK = "data_clerk", _("数据报送员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


class PurposeKind(models.TextChoices):
    """查看目的: the kind of record for which staff saw a person's personal data unmasked."""

    CASE = "case", _("办件")
    TICKET = "ticket", _("排队取号")
    APPOINTMENT = "appointment", _("预约")
    TAX_RECORD = "tax_record", _("房交信息")
    REGISTRATION = "registration", _("窗口实名登记")
    #: A regulator unmasked a market entity's legal representative (market.selectors.entity_unmasked_for).
    MARKET_ENTITY = "market_entity", _("市场主体登记")


#: Roles that may see an unmasked ID number or phone on a person's detail view (PIPL art. 51).
UNMASK_ROLES = frozenset({StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER})
