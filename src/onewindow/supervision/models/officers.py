"""执法人员名录库: enforcement officers per department, their specialties and declared conflicts.

Rule (DOMAIN.md R4.1, R4.2: 国办发〔2015〕58号 and the 2019 opinion on 双随机、一公开): inspectors
are drawn at random from a roster of law-enforcement officers (执法检查人员名录库), one of the
"两库". An officer must step aside (回避) where they have a direct interest in the entity
(行政处罚法 art. 43, DOMAIN.md R4.4), so declared conflicts are rows that the draws exclude.
The enforcement certificate number (执法证号) is published (执法人员信息公示), so it is stored in
clear; no ID number or phone is kept here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ConflictRelation, Specialty


class Officer(models.Model):
    """执法人员: one enforcement officer of one department, active over a period.

    Actor: the department's admin (部门管理员) or a system admin, through
    ``services.officer_create`` / ``officer_update``. ``user`` links the officer's login where
    they have one (an officer may declare their own conflicts). Officers are never deleted
    (draws and inspections refer to them): ``active_to`` ends their period.
    """

    department = models.ForeignKey(
        "core.Department", verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="officers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officer",
    )
    name = models.CharField(_("姓名"), max_length=50)
    certificate_number = models.CharField(_("执法证号"), max_length=32, unique=True)
    areas = models.ManyToManyField("core.Region", verbose_name=_("负责区域"), blank=True, related_name="+")
    active_from = models.DateField(_("在岗起始日期"))
    active_to = models.DateField(_("在岗截止日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("执法人员")
        verbose_name_plural = _("执法人员名录库")
        ordering = ["department_id", "certificate_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="supervision_officer_period_valid",
            ),
        ]
        indexes = [models.Index(fields=["department", "active_from"], name="supervision_officer_dept")]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_number}）"


class OfficerSpecialty(models.Model):
    """执法专长: one field an officer may be drawn for (a row per specialty, so draws filter in SQL)."""

    officer = models.ForeignKey(
        Officer, verbose_name=_("执法人员"), on_delete=models.CASCADE, related_name="specialties"
    )
    specialty = models.CharField(_("专长"), max_length=30, choices=Specialty.choices)

    class Meta:
        verbose_name = _("执法专长")
        verbose_name_plural = _("执法专长")
        ordering = ["officer_id", "specialty"]
        constraints = [
            models.UniqueConstraint(fields=["officer", "specialty"], name="supervision_specialty_once"),
            models.CheckConstraint(condition=Q(specialty__in=Specialty.values), name="supervision_specialty_valid"),
        ]

    def __str__(self) -> str:
        return str(self.get_specialty_display())


class OfficerConflict(models.Model):
    """回避关系: an officer's declared interest in a market entity (行政处罚法 art. 43).

    Declared by the officer themself or their department's admin (``services.officer_conflict_declare``);
    while it is not withdrawn (``withdrawn_at`` empty), ``selectors.officers_available`` leaves
    the officer out of any draw that concerns the entity.
    """

    officer = models.ForeignKey(Officer, verbose_name=_("执法人员"), on_delete=models.PROTECT, related_name="conflicts")
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("市场主体"), on_delete=models.PROTECT, related_name="officer_conflicts"
    )
    relation = models.CharField(_("关系类型"), max_length=20, choices=ConflictRelation.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("申报时间"), default=timezone.now)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("回避关系")
        verbose_name_plural = _("回避关系")
        ordering = ["officer_id", "-declared_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(relation__in=ConflictRelation.values), name="supervision_conflict_relation_valid"
            ),
            # One standing declaration per officer and entity; a withdrawn one may be declared again.
            models.UniqueConstraint(
                fields=["officer", "organization"],
                condition=Q(withdrawn_at__isnull=True),
                name="supervision_conflict_once_standing",
            ),
        ]
        indexes = [models.Index(fields=["organization", "officer"], name="supervision_conflict_org")]

    def __str__(self) -> str:
        return f"{self.officer} — {self.organization}"
