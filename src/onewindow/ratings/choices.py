"""The five national rating levels and the channels a rating comes from (DOMAIN.md §3)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RatingLevel(models.IntegerChoices):
    """R3.2: 非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意; the last two are 差评."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


#: Local scoring 10/8/6/3/0 (Guangdong Shanwei, Guangxi; DOMAIN.md R3.2, local): configurable
#: through the RATINGS_SCORES setting.
DEFAULT_SCORES = {5: 10, 4: 8, 3: 6, 2: 3, 1: 0}
BAD_LEVELS = frozenset({RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED})


class SubjectType(models.TextChoices):
    """What is rated: a case (网上服务 一事一评) or a window service (现场服务 一次一评)."""

    CASE = "case", _("办件")
    SERVICE = "service", _("窗口服务")


class RatingChannel(models.TextChoices):
    """评价渠道 (国办发〔2019〕51号: 大厅/中心/站点/窗口 and 业务系统、热线、移动端、自助端)."""

    WEB = "web", _("网上办事大厅")
    WECHAT = "wechat", _("微信")
    SMS = "sms", _("短信链接")
    PAD = "pad", _("评价器")
    KIOSK = "kiosk", _("自助终端")
    WINDOW = "window", _("窗口")
    API = "api", _("接口")


class FollowUpStatus(models.TextChoices):
    """差评整改 (国办发〔2019〕51号: 调查核实、督促整改、反馈): open → contacted → closed."""

    OPEN = "open", _("待回访")
    CONTACTED = "contacted", _("已回访")
    CLOSED = "closed", _("已办结")


class FollowUpAction(models.TextChoices):
    """The steps of a 差评回访 (``workflow.TRANSITIONS``); each one leaves a ``FollowUpEvent``."""

    OPEN = "open", _("差评转办")
    CONTACT = "contact", _("回访")
    CLOSE = "close", _("办结")
    REMIND = "remind", _("催办提醒")
