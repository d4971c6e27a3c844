"""Choices of the big-data display (大数据应用展示, issue #16)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OriginClass(models.TextChoices):
    """来源地类别: the three classes that partition every crowd count (issue #16 part 2). Which
    home regions fall in which class is the configurable rule ``BIGSCREEN_ORIGIN_RULE``
    (bigscreen/origins.py): by default 市内 = Shanghai residents, 国内 = the rest of the mainland
    and Hong Kong, Macao and Taiwan, 国际 = everyone else."""

    LOCAL = "local", _("市内")
    DOMESTIC = "domestic", _("国内")
    INTERNATIONAL = "international", _("国际")


class AlertLevel(models.TextChoices):
    """大客流预警 level of a zone: amber at BIGSCREEN_AMBER_SHARE of its capacity, red at
    BIGSCREEN_RED_SHARE (each zone may override both)."""

    AMBER = "amber", _("黄色预警")
    RED = "red", _("红色预警")


class ScreenLayout(models.TextChoices):
    """The big screen's resolution: 1920×1080 or 3840×2160 (issue #16 part 5)."""

    HD = "1080p", _("1920×1080")
    UHD = "4k", _("3840×2160")


class Panel(models.TextChoices):
    """The panels a screen rotates through (issue #16 part 5)."""

    CROWD_NOW = "crowd_now", _("实时客流")
    CROWD_WEEK = "crowd_week", _("近7日客流分布")
    CROWD_ORIGIN = "crowd_origin", _("客源地构成")
    CROWD_ZONES = "crowd_zones", _("分区密度与预警")
    SERVICE_TODAY = "service_today", _("今日政务服务")
    SERVICE_DISTRICTS = "service_districts", _("各区政务服务")


class Severity(models.TextChoices):
    """紧急通告 severity: how the overlay looks."""

    INFO = "info", pgettext_lazy("emergency severity", "提示")
    WARNING = "warning", _("警示")
    CRITICAL = "critical", _("紧急")
