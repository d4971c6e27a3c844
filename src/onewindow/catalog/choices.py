"""Enumerations of the service catalog (事项目录), with their sources in DOMAIN.md §1.

Item *types* (行政许可, 公共服务 …) are not here: R1.2 says their codes are unconfirmed, so they
live in the editable :class:`~onewindow.catalog.models.ItemType` dictionary.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """审批事项 vs 服务事项: the seed article counts them separately (785 审批 / 240+ 服务 at city level)."""

    APPROVAL = "approval", _("审批事项")
    SERVICE = "service", _("服务事项")


class Level(models.TextChoices):
    """The three levels of the online hall (市级大厅 / 区行政服务中心 / 街镇社区事务受理服务中心)."""

    CITY = "city", _("市级")
    DISTRICT = "district", _("区级")
    STREET = "street", _("街镇级")


LEVEL_RANK = {Level.CITY: 0, Level.DISTRICT: 1, Level.STREET: 2}


class HandlingType(models.TextChoices):
    """办件类型 (DOMAIN.md R1.5, local definitions): 1 = 即办件, 2 = 承诺件."""

    IMMEDIATE = "immediate", _("即办件")
    PROMISED = "promised", _("承诺件")


class DayUnit(models.TextChoices):
    """Unit of a time limit (DOMAIN.md R1.4; 行政许可法 art. 82 counts 工作日)."""

    WORKING = "working", _("工作日")
    NATURAL = "natural", _("自然日")


class ItemStatus(models.TextChoices):
    """Publication status of an implementation item: 在用 / 暂停 / 取消 (``workflow.py`` moves it)."""

    ACTIVE = "active", _("在用")
    SUSPENDED = "suspended", _("暂停办理")
    WITHDRAWN = "withdrawn", _("已取消")


class ItemAction(models.TextChoices):
    """The steps of an item's lifecycle (``workflow.TRANSITIONS``): each one adds a version."""

    PUBLISH = "publish", _("发布事项")
    REVISE = "revise", _("修订事项")
    SUSPEND = "suspend", _("暂停办理")
    RESTORE = "restore", _("恢复办理")
    WITHDRAW = "withdraw", _("取消事项")


class DepthLevel(models.IntegerChoices):
    """网上办理深度 variant (a) of DOMAIN.md R1.6: levels Ⅰ–Ⅳ, Ⅳ = 全程网办 (到现场次数 = 0)."""

    NONE = 0, _("未开通网上办理")
    I = 1, _("Ⅰ级：网上咨询")  # noqa: E741
    II = 2, _("Ⅱ级：网上预审")
    III = 3, _("Ⅲ级：网上受理")
    IV = 4, _("Ⅳ级：全程网办")


class DepthCode(models.TextChoices):
    """网上办理深度 variant (b) of DOMAIN.md R1.6: multi-select codes, stored joined by ``^``."""

    CONSULT = "1", _("互联网咨询")
    RECEIVE = "2", _("互联网收件")
    PREVIEW = "3", _("互联网预审")
    ACCEPT = "4", _("互联网受理")
    HANDLE = "5", _("互联网办理")
    RESULT = "6", _("结果信息反馈")
    E_LICENCE = "7", _("电子证照反馈")
    OTHER = "8", _("其他")


class Channel(models.TextChoices):
    """Channels through which an item can be applied for (受理渠道)."""

    ONLINE = "online", _("网上办理")
    WINDOW = "window", _("窗口办理")
    KIOSK = "kiosk", _("自助终端")
    WECHAT = "wechat", _("微信")
    APPOINTMENT = "appointment", _("网上预约")


class MaterialForm(models.TextChoices):
    """Whether a material is submitted as the original, a copy, or both (原件 / 复印件)."""

    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    BOTH = "both", _("原件和复印件")
    ELECTRONIC = "electronic", _("电子材料")
