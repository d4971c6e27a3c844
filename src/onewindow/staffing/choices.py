"""Enumerations of staffing."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    """The service target a slot is staffed for."""

    SERVICE_LEVEL = "service_level", _("限时叫号率")  # e.g. 80 % called within 15 minutes
    MEAN_WAIT = "mean_wait", _("平均等候")  # e.g. mean wait ≤ 10 minutes


class LeaveKind(models.TextChoices):
    ANNUAL = "annual", _("年休假")
    SICK = "sick", _("病假")
    PERSONAL = "personal", _("事假")
    TRAINING = "training", _("培训")
    OTHER = "other", _("其他")


class RosterStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤销")


class RosterSource(models.TextChoices):
    PROPOSAL = "proposal", _("系统建议")
    MANUAL = "manual", _("手工编排")


class Scenario(models.TextChoices):
    """The staffing plans the simulation compares (issue #15 part 4)."""

    CURRENT = "current", _("现行排班")
    PEAK = "peak", _("按峰值配置")
    PROPOSAL = "proposal", _("建议排班")
    WHAT_IF = "what_if", _("假设调整")


class FlagKind(models.TextChoices):
    """A slot's staffing against its need (seed: 人浮于事 / 人少于事)."""

    IDLE = "idle", _("人浮于事")
    SHORT = "short", _("人少于事")
    BALANCED = "balanced", _("人事相宜")


class AdviceKind(models.TextChoices):
    OPEN = "open", _("开启窗口")
    CLOSE = "close", _("暂停窗口")
    ASSIGN = "assign", _("调整受理类别")


class AdviceStatus(models.TextChoices):
    SUGGESTED = "suggested", _("待处理")
    APPLIED = "applied", _("已采纳")
    DISMISSED = "dismissed", _("未采纳")
    EXPIRED = "expired", _("已过时")
