"""The published item lists of 双随机、一公开 (issue #12 part 1).

Rule (DOMAIN.md R4.1: 国办发〔2015〕58号): every department keeps a 随机抽查事项清单 — there is no
inspection without a listed item and its legal basis — with reasonable ratios or frequencies;
R4.2 (the 2019 opinion; SAMR's 2019-02 notice): 一般检查事项 have a limited ratio, 重点检查事项
none; R4.3: a 联合抽查事项清单 lets departments inspect together ("进一次门、查多项事").

Items are edited by their department (``services.check_item_*``) and reach the public only through
a published version (:class:`ItemListVersion`): a numbered snapshot of the whole list with its
SHA-256 digest, so what the public page shows, and what a draw plan cites, never changes after
publication.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ItemCategory, ItemListKind


class CheckItem(models.Model):
    """双随机抽查事项: one item a department may inspect, with its basis, target, methods and ratio.

    ``ratio`` is the yearly share of the target entities to draw, in percent (null where the item
    is set by ``frequency`` instead, e.g. 每年不少于 1 次). ``field`` is the 抽查领域 (商标保护,
    消费维权 …) the statistics group by. Never deleted: plans cite it; ``is_active`` retires it.
    """

    department = models.ForeignKey(
        "core.Department", verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="check_items"
    )
    code = models.CharField(_("事项编码"), max_length=32)
    name = models.CharField(_("抽查事项"), max_length=120)
    field = models.CharField(_("抽查领域"), max_length=40, blank=True)
    category = models.CharField(
        _("事项类别"), max_length=10, choices=ItemCategory.choices, default=ItemCategory.GENERAL
    )
    target = models.CharField(_("检查对象"), max_length=120)
    basis = models.TextField(_("检查依据"))
    methods = models.JSONField(_("检查方式"), default=list)
    ratio = models.DecimalField(_("抽查比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    frequency = models.CharField(_("抽查频次"), max_length=60, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("双随机抽查事项")
        verbose_name_plural = _("双随机抽查事项清单")
        ordering = ["department_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["department", "code"], name="supervision_checkitem_code_unique"),
            models.CheckConstraint(
                condition=Q(ratio__isnull=True) | (Q(ratio__gt=0) & Q(ratio__lte=100)),
                name="supervision_checkitem_ratio_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JointCheckItem(models.Model):
    """联合检查事项: a lead department (行业主管) and its partners (协同部门) inspect together, in one
    visit, the listed items of each (the seed's "1+1" and "1+2" patterns, DOMAIN.md R4.3)."""

    code = models.CharField(_("事项编码"), max_length=32, unique=True)
    name = models.CharField(_("联合检查事项"), max_length=120)
    industry = models.CharField(_("行业或场景"), max_length=40)
    lead_department = models.ForeignKey(
        "core.Department", verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="joint_items_led"
    )
    partner_departments = models.ManyToManyField(
        "core.Department", verbose_name=_("配合部门"), related_name="joint_items_partnered"
    )
    check_items = models.ManyToManyField(CheckItem, verbose_name=_("合并的抽查事项"), related_name="joint_items")
    basis = models.TextField(_("检查依据"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("联合检查事项")
        verbose_name_plural = _("联合检查事项清单")
        ordering = ["lead_department_id", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ItemListVersion(models.Model):
    """A published version of one list: number 1, 2, … per kind without gaps, the snapshot the
    public page shows (departments and items as published), and its SHA-256 digest over the
    canonical JSON of the snapshot. Written only by ``services.item_list_publish``; never changed."""

    kind = models.CharField(_("清单"), max_length=10, choices=ItemListKind.choices)
    number = models.PositiveIntegerField(_("版本号"))
    snapshot = models.JSONField(_("清单内容"))
    digest = models.CharField(_("摘要（SHA-256）"), max_length=64)
    item_count = models.PositiveIntegerField(_("事项数"))
    department_count = models.PositiveIntegerField(_("部门数"))
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("清单发布版本")
        verbose_name_plural = _("清单发布版本")
        ordering = ["kind", "-number"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="supervision_itemlist_version_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.number}"
