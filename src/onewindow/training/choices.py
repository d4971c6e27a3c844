"""Choices of training (培训管理, issue #14 part 5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CourseBasis(models.TextChoices):
    """Why a course was planned: a key-training proposal (重点培训: an item of large yearly
    volume), a signal (low ratings or long handling times), or the manager's own choice."""

    KEY = "key", _("重点培训")
    SIGNAL = "signal", _("评价或时长预警")
    MANUAL = "manual", _("自定")


class SessionStatus(models.TextChoices):
    """计划 → 已举办 → 已登记出勤, or 计划 → 已取消."""

    PLANNED = "planned", _("计划")
    HELD = "held", _("已举办")
    RECORDED = "recorded", _("已登记出勤")
    CANCELLED = "cancelled", pgettext_lazy("training session", "已取消")


class SessionAction(models.TextChoices):
    PLAN = "plan", _("安排")
    HOLD = "hold", _("举办")
    RECORD = "record", _("登记出勤")
    CANCEL = "cancel", _("取消")


class AttendanceStatus(models.TextChoices):
    """A clerk's answer to one session: invited until the attendance is recorded."""

    INVITED = "invited", _("已邀请")
    PRESENT = "present", _("出席")
    ABSENT = "absent", _("缺席")
    EXCUSED = "excused", _("请假")
