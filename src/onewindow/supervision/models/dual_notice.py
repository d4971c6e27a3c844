"""双告知: the notice to the entity (告知申请人) and one task per competent department (告知部门)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Answer, ChangeKind, TaskAction, TaskStatus


class DualNotice(models.Model):
    """双告知书 (告知申请人, DOMAIN.md R5.1 steps 1–3): what a newly registered entity, or one that
    changed its business scope (经营范围), was told it needs.

    Written by the 双告知 listener (``services.dual_notice_dispatch``) in the transaction of the
    market registration. ``licences`` is the list told to the applicant, each licence with its
    competent department and the address of its guide (办事指南) in the catalog; the entity's
    name, industry and scope are kept as they were at the time. ``number`` (告知书编号,
    ``SGZ-<year>-<6 digits>``) is gap-free per year. ``notified_on`` starts every department's
    answer clock.
    """

    number = models.CharField(_("告知书编号"), max_length=20, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("市场主体"), on_delete=models.PROTECT, related_name="dual_notices"
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    entity_name = models.CharField(_("主体名称"), max_length=200)
    change_kind = models.CharField(_("告知事由"), max_length=20, choices=ChangeKind.choices)
    industry_code = models.CharField(_("行业代码"), max_length=10, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    licences = models.JSONField(_("需办理的许可"), default=list, blank=True)
    changed_at = models.DateTimeField(_("登记（变更）时间"))
    notified_on = models.DateField(_("告知日期"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("双告知书")
        verbose_name_plural = _("双告知书")
        ordering = ["-notified_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(change_kind__in=ChangeKind.values), name="supervision_notice_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "notified_on"], name="supervision_notice_org")]

    def __str__(self) -> str:
        return f"{self.number} {self.entity_name}"


class DualNoticeTask(models.Model):
    """双告知任务 (告知部门, DOMAIN.md R5.1 steps 3–4): one competent department's copy of a notice.

    Lifecycle (``workflow.py``): a department's task is pending (待签收) until it receives it
    (签收) and then answered (反馈) with one of :class:`~onewindow.supervision.choices.Answer`;
    a task with no clear department waits in the 认领 pool (待认领, ``department`` empty) until a
    department claims it. The answer is due ``limit_days`` working days after ``notified_on``
    (``SUPERVISION_DUAL_NOTICE_DAYS``; DOMAIN.md gives no figure, so it is configurable); a
    later answer is accepted and marked ``answered_late``. ``due_date`` follows the working-day
    calendar (a calendar change recomputes it, ``services.recompute``).
    """

    notice = models.ForeignKey(DualNotice, verbose_name=_("双告知书"), on_delete=models.PROTECT, related_name="tasks")
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("告知部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dual_notice_tasks",
    )
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    licences = models.JSONField(_("涉及的许可"), default=list, blank=True)
    notified_on = models.DateField(_("告知日期"))
    limit_days = models.PositiveSmallIntegerField(_("反馈时限（工作日）"))
    due_date = models.DateField(_("反馈期限"))
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认领人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("反馈人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answer = models.CharField(_("反馈结果"), max_length=20, choices=Answer.choices, blank=True)
    answer_note = models.CharField(_("反馈说明"), max_length=500, blank=True)
    answered_late = models.BooleanField(_("逾期反馈"), default=False)
    reminded_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("超期提醒时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("双告知任务")
        verbose_name_plural = _("双告知任务")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="supervision_task_status_valid"),
            models.CheckConstraint(
                condition=Q(answer="") | Q(answer__in=Answer.values), name="supervision_task_answer_valid"
            ),
            # The pool is exactly the tasks without a department.
            models.CheckConstraint(
                condition=Q(status=TaskStatus.POOL, department__isnull=True)
                | (~Q(status=TaskStatus.POOL) & Q(department__isnull=False)),
                name="supervision_task_pool_has_no_department",
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.ANSWERED, answered_at__isnull=False) & ~Q(answer="")
                | (~Q(status=TaskStatus.ANSWERED) & Q(answer="")),
                name="supervision_task_answered_with_answer",
            ),
            models.UniqueConstraint(
                fields=["notice", "department"],
                condition=Q(department__isnull=False),
                name="supervision_task_one_per_department",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_date"], name="supervision_task_queue"),
            models.Index(fields=["status", "due_date"], name="supervision_task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.notice.number} → {self.department or _('认领池')}"

    @property
    def is_open(self) -> bool:
        return self.status != TaskStatus.ANSWERED


class DualNoticeTaskEvent(models.Model):
    """双告知任务记录: one step of a task's timeline (push, claim, receipt, answer, reminders,
    deadline recalculations), append-only; the facts the statistics read."""

    task = models.ForeignKey(
        DualNoticeTask, verbose_name=_("双告知任务"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=TaskAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, choices=TaskStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=TaskStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("操作单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("双告知任务记录")
        verbose_name_plural = _("双告知任务记录")
        ordering = ["task_id", "id"]
        indexes = [models.Index(fields=["task", "id"], name="supervision_event_task")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} → {self.get_to_status_display()}"
