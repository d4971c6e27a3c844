"""Reference data shared by every app: administrative regions and government departments."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    CITY = "city", _("市级")
    DISTRICT = "district", _("区级")
    STREET = "street", _("街镇级")


class Region(models.Model):
    """An administrative region (行政区划): Shanghai, its 16 districts and their streets/towns.

    Codes follow GB/T 2260 (6 digits, city and district) and the NBS statistical township codes
    (9 digits: district code + 3). Regions carry validity dates because divisions change:
    闸北区 (310108) merged into 静安区 on 2015-10-13 (DOMAIN.md §8); an old ID number may still
    carry a code that is no longer valid (DOMAIN.md §7), so codes are never deleted.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    kind = models.CharField(_("类别"), max_length=20, blank=True, help_text=_("街道、镇、乡或其他"))
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("生效日期"), default=datetime.date(1949, 10, 1))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RegionLevel.values), name="core_region_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class Department(models.Model):
    """A government department (部门): a city commission or bureau, or a district department.

    The owning body of catalog items and the scope of staff roles.
    """

    code = models.CharField(_("部门代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT,
                               related_name="departments")
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RegionLevel.values), name="core_department_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
