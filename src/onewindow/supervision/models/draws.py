"""双随机 draw plans (抽查任务), their frozen inputs and their outcome (issue #12 parts 2–4).

Rule (DOMAIN.md R4.1, R4.2: 国办发〔2015〕58号 and the 2019 opinion): inspected entities are drawn
at random from the 市场主体名录库 and inspectors from the 执法检查人员名录库, so that nobody
enforces selectively. To make that checkable, a plan moves through fixed stages (``workflow``
``PLAN_TRANSITIONS``): it is **published** naming a future public random value, its pool and
roster are **frozen** and their digests published before that value exists, the value is entered
and the selection **drawn** by the algorithm ``OW-DRAW-1`` (``supervision.draw``,
docs/draw-algorithm.md); a draw is never re-run, a cancelled plan stays visible with its reason.

The rows here hold exactly what :func:`onewindow.supervision.draw.verify` needs to recompute a
draw: the pool and roster files (zlib-compressed UTF-8, as published), the canonical plan JSON,
the constraints file (published only when the inspection has ended, as certificate/credit-code
pairs, never the nature of a conflict), the operator's secret
(encrypted; revealed when the inspection ends) and the stored result.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from ..choices import DrawPlanAction, DrawPlanKind, DrawPlanStatus
from .item_lists import CheckItem, ItemListVersion, JointCheckItem


class DrawPlan(models.Model):
    """抽查任务: one department's (or, for a 联合检查, the lead department's) plan to draw entities
    and officers.

    ``pool_filter``: the registry filter (``regions``: district or street codes, ``industries``:
    GB/T 4754 prefixes, ``entity_types``, ``risk_grades``; status 存续 always). ``ratios``: percent
    per stratum (A, B, C, D, ``-`` ungraded, ``S`` entities on a 联合惩戒 list when
    ``sanctioned_stratum`` is set) or ``counts`` per stratum — one of the two. ``departments``:
    codes of the departments whose officers visit each entity, lead first. ``random_source``: the
    future public random value, named precisely (which lottery, which issue, which date).
    """

    number = models.CharField(_("任务编号"), max_length=20, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DrawPlanKind.choices, default=DrawPlanKind.RANDOM)
    title = models.CharField(_("任务名称"), max_length=120)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("发起（牵头）部门"), on_delete=models.PROTECT, related_name="draw_plans"
    )
    items = models.ManyToManyField(CheckItem, verbose_name=_("抽查事项"), related_name="draw_plans")
    joint_item = models.ForeignKey(
        JointCheckItem,
        verbose_name=_("联合检查事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="draw_plans",
    )
    item_list_version = models.ForeignKey(
        ItemListVersion, verbose_name=_("依据的清单版本"), on_delete=models.PROTECT, related_name="+"
    )
    departments = models.JSONField(_("参与部门"), default=list)
    pool_filter = models.JSONField(_("抽取范围"), default=dict)
    ratios = models.JSONField(_("各类抽查比例（%）"), default=dict, blank=True)
    counts = models.JSONField(_("各类抽取户数"), default=dict, blank=True)
    sanctioned_stratum = models.BooleanField(_("联合惩戒对象单列"), default=False)
    exclude_inspected_months = models.PositiveSmallIntegerField(_("排除近几个月已检查的主体"), default=12)
    exclude_open_plans = models.BooleanField(_("排除其他进行中任务的主体"), default=True)
    officers_per_department = models.PositiveSmallIntegerField(_("每户每部门执法人员数"), default=2)
    no_repeat_months = models.PositiveSmallIntegerField(_("执法人员不重复检查同一主体的月数"), default=12)
    required_specialty = models.JSONField(_("要求的执法专长"), default=dict, blank=True)
    random_source = models.CharField(_("公开随机数来源"), max_length=200)
    random_expected_on = models.DateField(_("随机数产生日期"))
    inspection_ends_on = models.DateField(_("检查截止日期"))
    status = models.CharField(_("状态"), max_length=12, choices=DrawPlanStatus.choices, default=DrawPlanStatus.DRAFT)
    cancel_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("检查结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查任务")
        verbose_name_plural = _("抽查任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DrawPlanStatus.values), name="supervision_drawplan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(officers_per_department__gte=1), name="supervision_drawplan_officers_positive"
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="supervision_plan_dept")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class DrawFreeze(models.Model):
    """The inputs frozen before the random value exists (stage 2): the published pool and roster
    files with their digests, the canonical plan JSON and digest, the constraints file (public after close)
    and the operator's secret (encrypted) whose commitment the plan JSON carries."""

    plan = models.OneToOneField(DrawPlan, verbose_name=_("抽查任务"), on_delete=models.PROTECT, related_name="freeze")
    pool_file = models.BinaryField(_("主体名录文件（压缩）"))
    pool_digest = models.CharField(_("主体名录摘要"), max_length=64)
    pool_size = models.PositiveIntegerField(_("名录户数"))
    strata = models.JSONField(_("各类户数"), default=dict)
    quotas = models.JSONField(_("各类抽取户数"), default=dict)
    roster_file = models.BinaryField(_("执法人员名录文件（压缩）"))
    roster_digest = models.CharField(_("执法人员名录摘要"), max_length=64)
    roster_size = models.PositiveIntegerField(_("执法人员数"))
    constraints_file = models.BinaryField(_("回避与近期检查文件（压缩，不公开）"))
    plan_json = models.TextField(_("任务参数（规范 JSON）"))
    plan_digest = models.CharField(_("任务参数摘要"), max_length=64)
    secret = EncryptedTextField(_("操作员密钥（检查结束后公开）"))
    secret_commitment = models.CharField(_("密钥承诺值"), max_length=64)
    frozen_at = models.DateTimeField(_("冻结时间"), default=timezone.now)

    class Meta:
        verbose_name = _("冻结的抽取依据")
        verbose_name_plural = _("冻结的抽取依据")

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.pool_digest[:12]}"


class DrawOutcome(models.Model):
    """The draw (stage 3): the random value as entered, the result (``supervision.draw.DrawResult``
    as a dict: selection, officers, skips, replacements) and its selection digest, published at
    once; the names wait until the inspection ends. Written once, by the draw service; a
    replacement rewrites ``result`` through ``draw.replace`` and adds a :class:`DrawPlanEvent`."""

    plan = models.OneToOneField(DrawPlan, verbose_name=_("抽查任务"), on_delete=models.PROTECT, related_name="outcome")
    random_value = models.CharField(_("公开随机数"), max_length=200)
    result = models.JSONField(_("抽取结果"))
    selection_digest = models.CharField(_("抽取结果摘要"), max_length=64)
    algorithm = models.CharField(_("算法版本"), max_length=20)
    entity_count = models.PositiveIntegerField(_("抽中户数"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(_("抽取时间"), default=timezone.now)

    class Meta:
        verbose_name = _("抽取结果")
        verbose_name_plural = _("抽取结果")

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.selection_digest[:12]}"


class DrawPlanEvent(models.Model):
    """A plan's timeline (the workflow recipe's event row): each stage, each replacement, the
    cancellation, with who and when and a note."""

    plan = models.ForeignKey(DrawPlan, verbose_name=_("抽查任务"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("动作"), max_length=20, choices=DrawPlanAction.choices)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("抽查任务记录")
        verbose_name_plural = _("抽查任务记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action}"
