"""Enumerations of analytics: rollup sources and runs, item proposals (事项调整建议)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RollupSource(models.TextChoices):
    """The event tables a rollup reads, each with its own cursor (last event id seen)."""

    TICKETS = "tickets", _("排队记录")
    CASES = "cases", _("办件记录")
    RATINGS = "ratings", _("评价记录")
    WINDOWS = "windows", _("窗口在岗记录")


class RollupRunKind(models.TextChoices):
    REBUILD = "rebuild", _("全量重建")
    UPDATE = "update", _("增量更新")


class ProposalAction(models.TextChoices):
    """What the center manager proposes for a low-volume item (seed: 建议调整或取消)."""

    KEEP = "keep", _("保留")
    CHANGE = "change", _("调整")
    WITHDRAW = "withdraw", pgettext_lazy("item proposal", "取消")


class ProposalStatus(models.TextChoices):
    """proposed → accepted | rejected (by the item's department) | cancelled (by the proposer)."""

    PROPOSED = "proposed", _("待部门决定")
    ACCEPTED = "accepted", _("部门已采纳")
    REJECTED = "rejected", _("部门未采纳")
    CANCELLED = "cancelled", pgettext_lazy("proposal status", "已撤回")


class ProposalEventAction(models.TextChoices):
    PROPOSE = "propose", _("提出建议")
    ACCEPT = "accept", _("采纳")
    REJECT = "reject", _("不采纳")
    CANCEL = "cancel", pgettext_lazy("proposal action", "撤回建议")
