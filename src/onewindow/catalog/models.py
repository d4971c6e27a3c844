"""The service catalog (政务服务事项目录) of the online hall, following DOMAIN.md §1.

Three layers (ARCHITECTURE data-model decision 1):

- :class:`BasicItem` (基本目录): *what* the service is, shared by every body that implements it;
- :class:`ServiceItem` (实施清单): one per implementing department and region — what people apply for;
- :class:`ItemVersion` (事项版本): the immutable content of an implementation item. An edit, and a
  status change (暂停 / 取消 / 恢复) as well, makes a new version numbered 1, 2, 3 …; a case pins
  the version it was filed under, so published guides never change under an applicant.

The item row keeps a denormalized copy of its current version's searchable fields (name, pinyin,
type, category, depth, status). Only the services in ``services.py`` write it, in the same
transaction as the version, so the copy cannot drift.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.core.models import Department, Region

from .choices import (
    Category,
    Channel,
    DayUnit,
    DepthCode,
    DepthLevel,
    HandlingType,
    ItemStatus,
    Level,
    MaterialForm,
)


class ItemType(models.Model):
    """事项类型 dictionary: 行政许可, 行政处罚 … 公共服务.

    DOMAIN.md R1.1/R1.2: the ten 行政权力 types plus 公共服务. The two-digit codes (01..10, 20) are
    used by national-platform integrations but no normative table was found, so the list is an
    editable dictionary and each seeded entry is marked unconfirmed (``is_confirmed=False``).
    """

    code = models.CharField(_("类型代码"), max_length=8, unique=True)
    name = models.CharField(_("类型名称"), max_length=40)
    is_power = models.BooleanField(_("行政权力事项"), default=True,
                                   help_text=_("否：公共服务事项"))
    is_confirmed = models.BooleanField(_("代码已核实"), default=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("事项类型")
        verbose_name_plural = _("事项类型")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class BasicItem(models.Model):
    """基本目录事项: the service itself, independent of who implements it.

    The 基本编码 (basic code) is stored as given, an opaque string of at most 12 characters
    (GB/T 39554.1-2020 and the national sync schema; the segment structure is unconfirmed, and
    older local schemes such as DB52/T 1264-2018 use 10 characters — DOMAIN.md R1.3).
    """

    code = models.CharField(_("基本编码"), max_length=12, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.ForeignKey(ItemType, verbose_name=_("事项类型"), on_delete=models.PROTECT,
                                  related_name="basic_items")
    category = models.CharField(_("事项类别"), max_length=10, choices=Category.choices)

    class Meta:
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录事项")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=Category.values),
                                   name="catalog_basicitem_category_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceItem(models.Model):
    """实施清单事项 (implementation item): one per implementing department and region.

    Identity: the 实施编码 (≤36 characters, stored as given; observed codes begin with the
    18-character 统一社会信用代码 of the implementing body — DOMAIN.md R1.3), the basic item, the
    department, the region and the level. Everything a citizen reads lives in the current
    :class:`ItemVersion`; the columns below "search copy" are maintained by the services.
    """

    code = models.CharField(_("实施编码"), max_length=36, unique=True)
    basic_item = models.ForeignKey(BasicItem, verbose_name=_("基本目录事项"), on_delete=models.PROTECT,
                                   related_name="implementations")
    department = models.ForeignKey(Department, verbose_name=_("实施部门"), on_delete=models.PROTECT,
                                   related_name="catalog_items")
    region = models.ForeignKey(Region, verbose_name=_("实施区划"), on_delete=models.PROTECT,
                               related_name="catalog_items")
    district = models.ForeignKey(Region, verbose_name=_("所属区"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("区级和街镇级事项所在的区；市级事项为空"))
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    level_rank = models.PositiveSmallIntegerField(_("层级序号"), default=0, editable=False)
    current_version = models.ForeignKey("ItemVersion", verbose_name=_("当前版本"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveIntegerField(_("排序"), default=1000)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Search copy of the current version (written only by services.py).
    name = models.CharField(_("事项名称"), max_length=200)
    name_pinyin = models.CharField(_("名称全拼"), max_length=800, blank=True)
    name_initials = models.CharField(_("名称拼音首字母"), max_length=200, blank=True)
    item_type = models.ForeignKey(ItemType, verbose_name=_("事项类型"), on_delete=models.PROTECT,
                                  related_name="+")
    category = models.CharField(_("事项类别"), max_length=10, choices=Category.choices)
    depth_level = models.PositiveSmallIntegerField(_("网上办理深度"), choices=DepthLevel.choices,
                                                   default=DepthLevel.NONE)
    fully_online = models.BooleanField(_("全程网上办理"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=ItemStatus.choices,
                              default=ItemStatus.ACTIVE)

    class Meta:
        verbose_name = _("实施清单事项")
        verbose_name_plural = _("实施清单事项")
        ordering = ["level_rank", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=Level.values), name="catalog_item_level_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values),
                                   name="catalog_item_category_valid"),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values),
                                   name="catalog_item_status_valid"),
            models.CheckConstraint(condition=Q(depth_level__gte=0, depth_level__lte=4),
                                   name="catalog_item_depth_valid"),
            models.UniqueConstraint(fields=["basic_item", "department", "region"],
                                    name="catalog_item_one_per_body_region"),
        ]
        indexes = [
            models.Index(fields=["status", "level_rank", "sort_order", "id"], name="catalog_item_browse"),
            models.Index(fields=["status", "district", "level_rank"], name="catalog_item_district"),
            models.Index(fields=["status", "category", "level"], name="catalog_item_category"),
            models.Index(fields=["name"], name="catalog_item_name"),
            models.Index(fields=["name_initials"], name="catalog_item_initials"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.department})"


class ItemVersionQuerySet(models.QuerySet["ItemVersion"]):
    """Versions are never changed or removed in bulk either (a case may pin any of them)."""

    def update(self, **kwargs: Any) -> int:
        raise ValueError("ItemVersion is immutable; use services.item_revise to make a new version")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("ItemVersion rows are never deleted; withdraw the item instead")


class ItemVersion(models.Model):
    """事项版本: the immutable published content of an implementation item (办事指南 data).

    Never updated in place — ``save()`` refuses an existing row; an edit or a status change goes
    through ``services.item_revise`` / ``item_suspend`` / ``item_withdraw`` and adds version n+1.
    Fields follow the 实施清单 of DOMAIN.md §1: time limits with unit and explanation (R1.4; the
    promised limit may not exceed the statutory one — a local rule), 办件类型 (R1.5), 网上办理深度
    in the level, multi-code and 全程网办 variants (R1.6; level Ⅳ requires 到现场次数 = 0).
    """

    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("事项名称"), max_length=200)
    category = models.CharField(_("事项类别"), max_length=10, choices=Category.choices)
    item_type = models.ForeignKey(ItemType, verbose_name=_("事项类型"), on_delete=models.PROTECT,
                                  related_name="+")
    legal_basis = models.TextField(_("设定依据"), blank=True)
    handling_type = models.CharField(_("办件类型"), max_length=10, choices=HandlingType.choices,
                                     default=HandlingType.PROMISED)
    statutory_limit = models.IntegerField(_("法定办结时限"), null=True, blank=True)
    statutory_unit = models.CharField(_("法定时限单位"), max_length=10, choices=DayUnit.choices,
                                      default=DayUnit.WORKING)
    statutory_note = models.CharField(_("法定时限说明"), max_length=500, blank=True)
    promised_limit = models.IntegerField(_("承诺办结时限"), null=True, blank=True)
    promised_unit = models.CharField(_("承诺时限单位"), max_length=10, choices=DayUnit.choices,
                                     default=DayUnit.WORKING)
    promised_note = models.CharField(_("承诺时限说明"), max_length=500, blank=True)
    fee_free = models.BooleanField(_("不收费"), default=True)
    fee_text = models.CharField(_("收费标准"), max_length=500, blank=True)
    fee_amount = models.DecimalField(_("收费金额（元）"), max_digits=10, decimal_places=2, null=True,
                                     blank=True)
    depth_level = models.PositiveSmallIntegerField(_("网上办理深度"), choices=DepthLevel.choices,
                                                   default=DepthLevel.NONE)
    depth_codes = models.CharField(_("网上办理深度代码"), max_length=20, blank=True,
                                   help_text=_("如 3^4^5^6"))
    fully_online = models.BooleanField(_("全程网上办理"), default=False)
    channels = models.CharField(_("办理渠道"), max_length=100, blank=True,
                                help_text=_("以 ^ 分隔，如 online^window"))
    on_site_visits = models.PositiveSmallIntegerField(_("到现场次数"), default=1)
    on_site_reason = models.CharField(_("需到现场办理的环节"), max_length=500, blank=True)
    form_schema = models.JSONField(_("网上申请表（JSON Schema）"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ItemStatus.choices,
                              default=ItemStatus.ACTIVE)
    status_reason = models.CharField(_("状态原因"), max_length=500, blank=True)
    status_date = models.DateField(_("状态日期"), null=True, blank=True)
    valid_from = models.DateField(_("生效日期"))
    change_note = models.CharField(_("修订说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ItemVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalog_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="catalog_version_number_positive"),
            models.CheckConstraint(condition=Q(category__in=Category.values),
                                   name="catalog_version_category_valid"),
            models.CheckConstraint(condition=Q(handling_type__in=HandlingType.values),
                                   name="catalog_version_handling_valid"),
            models.CheckConstraint(condition=Q(statutory_unit__in=DayUnit.values)
                                   & Q(promised_unit__in=DayUnit.values),
                                   name="catalog_version_units_valid"),
            models.CheckConstraint(condition=(Q(statutory_limit__isnull=True) | Q(statutory_limit__gte=0))
                                   & (Q(promised_limit__isnull=True) | Q(promised_limit__gte=0)),
                                   name="catalog_version_limits_nonnegative"),
            models.CheckConstraint(condition=Q(depth_level__gte=0, depth_level__lte=4),
                                   name="catalog_version_depth_valid"),
            models.CheckConstraint(condition=Q(fully_online=False) | Q(on_site_visits=0),
                                   name="catalog_version_fully_online_no_visit"),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values),
                                   name="catalog_version_status_valid"),
            models.CheckConstraint(condition=Q(fee_amount__isnull=True) | Q(fee_amount__gte=0),
                                   name="catalog_version_fee_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Versions are immutable: only inserts are allowed."""
        if self.pk is not None and not self._state.adding:
            raise ValueError("ItemVersion is immutable; use services.item_revise to make a new version")
        super().save(*args, **kwargs)

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split("^") if c]

    @property
    def channel_labels(self) -> list[str]:
        labels = dict(Channel.choices)
        return [str(labels.get(c, c)) for c in self.channel_list]

    @property
    def depth_code_labels(self) -> list[str]:
        labels = dict(DepthCode.choices)
        return [str(labels.get(c, c)) for c in self.depth_codes.split("^") if c]

    @property
    def shared_materials(self) -> list[Material]:
        """The materials a shared register proves (可免交（已共享）), from the (prefetched) materials."""
        return [m for m in self.materials.all() if m.shared_resource]


class Material(models.Model):
    """申请材料: one required or optional document of an item version (part of the immutable version).

    ``shared_resource`` (可免交（已共享）, 减材料; issue #13 part 5): the code of a data resource of
    the sharing catalogue (``sharing.DataResource.code``, e.g. the entity registry for 营业执照,
    the licences resource for a licence, the person-registration dataset for 户口簿) whose data
    proves this material, so an online applicant need not upload it when the implementing
    department's pre-fill exchange answers for them. The catalog sits below sharing: only the
    code is stored (no foreign key); set when a new version is drafted (versions are immutable).
    """

    version = models.ForeignKey(ItemVersion, verbose_name=_("事项版本"), on_delete=models.CASCADE,
                                related_name="materials")
    name = models.CharField(_("材料名称"), max_length=300)
    form = models.CharField(_("材料形式"), max_length=12, choices=MaterialForm.choices,
                            default=MaterialForm.ORIGINAL)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必需"), default=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    shared_resource = models.CharField(_("共享数据资源"), max_length=40, blank=True,
                                       help_text=_("证明该材料的共享数据资源编码（可免交）"))

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version_id", "sort", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(form__in=MaterialForm.values),
                                   name="catalog_material_form_valid"),
            models.CheckConstraint(condition=Q(copies__gte=1), name="catalog_material_copies_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Materials belong to an immutable version: only inserts are allowed."""
        if self.pk is not None and not self._state.adding:
            raise ValueError("Material rows are immutable; revise the item to change its materials")
        super().save(*args, **kwargs)


class CatalogGeneration(models.Model):
    """The catalog's change counter (目录版本号): one row, incremented by every catalog write.

    Search pages and facet counts are cached per generation. The counter lives in the database,
    not in the cache, so every app server sees a write the moment it commits (each gunicorn
    worker has its own in-process cache unless Redis is configured), and the increment commits
    or rolls back with the write itself.
    """

    value = models.PositiveBigIntegerField(_("版本号"), default=0)
    changed_at = models.DateTimeField(_("变更时间"), auto_now=True)

    class Meta:
        verbose_name = _("目录版本号")
        verbose_name_plural = _("目录版本号")

    def __str__(self) -> str:
        return str(self.value)

