"""监管预警: alerts that configurable rules raise about market entities (issue #12 part 8).

A rule (:class:`AlertRule`) reads the shared facts — market's pooled licences and penalties
(信息归集), the 联合惩戒 lists, the 双告知 tasks and the inspection results — and raises one
:class:`Alert` per subject it finds: a licence about to expire, a licence still missing after the
双告知 deadline, repeated penalties, a new listing, an overdue rectification. Each alert has an
owner department (the department whose record or task it is), a state (open → acknowledged →
closed; ``services.alerts.ALERT_TRANSITIONS``) and reminders while it stays open. Every step is an
:class:`AlertEvent` and an audit entry. Basis: 国发〔2015〕62号 and the 2019 opinion on 双随机
(DOMAIN.md R4.2: 信用监管 as the foundation, 重点监管 as a supplement); the rules and their
parameters are local practice (``SUPERVISION_ALERT_RULES``).

``dedupe_key`` names the subject (a licence record and its expiry date, a task, a listing, a
result and its deadline, an entity's latest penalty): it is unique per rule, so a scan never raises
the same alert twice, however often it runs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AlertRule(models.TextChoices):
    """预警规则 (issue #12 part 8): the five rules of the platform."""

    LICENCE_EXPIRING = "licence_expiring", _("许可证即将到期")
    LICENCE_MISSING = "licence_missing", _("双告知期满仍未取得许可")
    REPEATED_PENALTIES = "repeated_penalties", _("一年内多次受到行政处罚")
    NEW_SANCTION = "new_sanction", _("新列入联合惩戒名单")
    RECTIFICATION_OVERDUE = "rectification_overdue", _("逾期未整改")


class AlertState(models.TextChoices):
    """预警状态: open (待处理) → acknowledged (已签收) → closed (已办结); open may close directly."""

    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    CLOSED = "closed", _("已办结")


class AlertAction(models.TextChoices):
    """Steps of an alert's timeline; acknowledge and close move its state."""

    RAISE = "raise", _("产生预警")
    ACKNOWLEDGE = "acknowledge", _("签收")
    CLOSE = "close", _("办结")
    REMIND = "remind", _("催办提醒")


class Alert(models.Model):
    """监管预警: one rule's finding about one subject, owned by one department.

    ``organization`` is the registry entity where the credit code is registered (a pooled record
    may still wait in the matching queue: then only ``credit_code`` is set). ``details`` holds what
    the rule found (record numbers, dates, counts), as the page shows it. ``due_on`` is the date the
    finding is about (the licence's expiry, the 双告知 deadline, the rectification deadline, the
    listing date, the latest penalty's date).
    """

    rule = models.CharField(_("预警规则"), max_length=24, choices=AlertRule.choices)
    dedupe_key = models.CharField(_("预警对象标识"), max_length=120)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("市场主体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_alerts",
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    entity_name = models.CharField(_("主体名称"), max_length=200, blank=True)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="supervision_alerts"
    )
    state = models.CharField(_("状态"), max_length=12, choices=AlertState.choices, default=AlertState.OPEN)
    summary = models.CharField(_("预警内容"), max_length=300)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    due_on = models.DateField(_("相关日期"), null=True, blank=True)
    raised_at = models.DateTimeField(_("预警时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_note = models.CharField(_("办结说明"), max_length=500, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)
    last_reminded_at = models.DateTimeField(_("最近催办时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("监管预警")
        verbose_name_plural = _("监管预警")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "dedupe_key"], name="supervision_alert_once_per_subject"),
            models.CheckConstraint(condition=Q(rule__in=AlertRule.values), name="supervision_alert_rule_valid"),
            models.CheckConstraint(condition=Q(state__in=AlertState.values), name="supervision_alert_state_valid"),
            models.CheckConstraint(
                condition=Q(state=AlertState.CLOSED, closed_at__isnull=False)
                | (~Q(state=AlertState.CLOSED) & Q(closed_at__isnull=True)),
                name="supervision_alert_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state", "-raised_at"], name="supervision_alert_queue"),
            models.Index(fields=["state", "raised_at"], name="supervision_alert_open"),
            models.Index(fields=["credit_code", "state"], name="supervision_alert_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} {self.entity_name or self.credit_code}"

    @property
    def is_open(self) -> bool:
        return self.state != AlertState.CLOSED


class AlertEvent(models.Model):
    """预警记录: one step of an alert (raised, acknowledged, closed, reminded), append-only; the facts
    the statistics read."""

    alert = models.ForeignKey(Alert, verbose_name=_("监管预警"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=12, choices=AlertAction.choices)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监管预警记录")
        verbose_name_plural = _("监管预警记录")
        ordering = ["alert_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AlertAction.values), name="supervision_alert_event_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.get_action_display()}"
