"""The market-entity registry (市场主体库): registration details of an ``accounts.Organization``.

A market entity *is* an Organization (one row per credit code, the record cases and mandates
already use); :class:`EntityProfile` adds the registry details one-to-one. Every change writes an
:class:`EntityVersion` (who, when, before/after, personal fields masked); a rename keeps the old
name as a :class:`FormerName` (曾用名).

个体工商户 without a unified social credit code (DOMAIN.md R5.3): ``Organization.credit_code`` is
unique and required, so such an entity is keyed by its 15-digit 注册号 (registration number,
GB 15 位工商注册号 with an ISO 7064 MOD 11,10 check digit) in ``credit_code`` too. The 18-character
credit code and the 15-digit number never collide; ``EntityProfile.registration_number`` always
holds the 注册号 when one is known, and ``EntityProfile.has_credit_code`` says which of the two
keys ``credit_code`` is. When such a business later receives its credit code (换照), the key
changes through :func:`onewindow.market.services.entity_update`, with a version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField, KeyedHashField
from onewindow.core.masking import mask_id_number, mask_phone

from ..choices import EntityStatus, EntityType, ImportStatus, IndustryLevel, RiskGrade, VersionKind


def search_key_collation() -> str | None:
    """Byte order for search keys: PostgreSQL's ``C`` collation, SQLite's default ``BINARY``.

    A prefix range (``key >= q AND key < q || U+10FFFF``) is served by the B-tree only when the
    column sorts by code point; a linguistic collation (en_US.UTF-8) does not. Computed from the
    settings so the model and its migration agree on either database (decision 0014).
    """
    engine = str(settings.DATABASES["default"]["ENGINE"])
    return "C" if "postgresql" in engine else None


class Industry(models.Model):
    """国民经济行业分类 GB/T 4754-2017 (with 第1号修改单, 2019): 门类 A–T, 大类 (2 digits), and
    中类/小类 (3/4 digits) where needed. Loaded from ``market/data/gbt4754_2017.csv``."""

    code = models.CharField(_("行业代码"), max_length=5, unique=True)
    name = models.CharField(_("行业名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=IndustryLevel.choices)
    section = models.CharField(_("门类"), max_length=1)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级行业"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")
        ordering = ["section", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=IndustryLevel.values), name="market_industry_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EntityProfile(models.Model):
    """The registration of a market entity (市场主体登记信息), one-to-one with its Organization.

    The legal representative's name is public (企业信息公示暂行条例) and lives on
    ``Organization.legal_representative_name``; their ID number and phone are personal
    information (PIPL art. 28, 51): encrypted, found by keyed hash, masked unless unmasked through
    the audited ``accounts.unmask`` path. The risk grade is the regulator's monthly 企业信用风险分类
    (DOMAIN.md R4.6), kept with its date and source.
    """

    organization = models.OneToOneField(
        "accounts.Organization",
        verbose_name=_("市场主体"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="market_profile",
    )
    has_credit_code = models.BooleanField(_("已赋统一社会信用代码"), default=True)
    registration_number = models.CharField(_("注册号"), max_length=15, blank=True)
    entity_type = models.CharField(_("主体类型"), max_length=24, choices=EntityType.choices)
    legal_rep_id_number = EncryptedTextField(_("法定代表人证件号码"), blank=True)
    legal_rep_id_number_hash = KeyedHashField(
        _("法定代表人证件号码检索值"), source="legal_rep_id_number", normalize="upper"
    )
    legal_rep_phone = EncryptedTextField(_("法定代表人联系电话"), blank=True)
    address = models.CharField(_("住所"), max_length=300)
    district = models.ForeignKey("core.Region", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "core.Region", verbose_name=_("所在街镇"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(Industry, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="entities")
    registered_capital = models.DecimalField(
        _("注册资本（万元）"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    established_on = models.DateField(_("成立日期"))
    approved_on = models.DateField(_("核准日期"), null=True, blank=True)
    status = models.CharField(_("登记状态"), max_length=16, choices=EntityStatus.choices, default=EntityStatus.ACTIVE)
    status_on = models.DateField(_("状态日期"), null=True, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    risk_grade = models.CharField(_("风险分类"), max_length=1, choices=RiskGrade.choices, blank=True)
    risk_graded_on = models.DateField(_("分类日期"), null=True, blank=True)
    risk_source = models.CharField(_("分类来源"), max_length=100, blank=True)
    name_initials = models.CharField(_("名称拼音首字母"), max_length=100, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("市场主体登记信息")
        verbose_name_plural = _("市场主体登记信息")
        ordering = ["organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number"],
                condition=~Q(registration_number=""),
                name="market_profile_unique_registration_number",
            ),
            models.CheckConstraint(
                condition=Q(has_credit_code=True) | ~Q(registration_number=""), name="market_profile_key_without_code"
            ),
            models.CheckConstraint(
                condition=Q(entity_type__in=EntityType.values), name="market_profile_entity_type_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=EntityStatus.values), name="market_profile_status_valid"),
            models.CheckConstraint(
                condition=Q(risk_grade="") | Q(risk_grade__in=RiskGrade.values), name="market_profile_risk_grade_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["district", "street"], name="market_profile_region"),
            models.Index(fields=["status"], name="market_profile_status"),
        ]

    def __str__(self) -> str:
        return str(self.organization_id)

    @property
    def legal_rep_id_number_masked(self) -> str:
        return mask_id_number(self.legal_rep_id_number)

    @property
    def legal_rep_phone_masked(self) -> str:
        return mask_phone(self.legal_rep_phone)


class EntityVersion(models.Model):
    """One change of an entity's registration (变更记录): who, when, what (before/after, masked).

    Numbered 1, 2, … per entity; written by the registry services only, never changed.
    """

    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("市场主体"), on_delete=models.PROTECT, related_name="market_versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    kind = models.CharField(_("变更类型"), max_length=16, choices=VersionKind.choices)
    at = models.DateTimeField(_("变更时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_label = models.CharField(_("操作人（系统）"), max_length=150, blank=True)
    before = models.JSONField(_("变更前"), default=dict)
    after = models.JSONField(_("变更后"), default=dict)

    class Meta:
        verbose_name = _("登记变更记录")
        verbose_name_plural = _("登记变更记录")
        ordering = ["organization_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="market_version_unique_number"),
            models.CheckConstraint(condition=Q(kind__in=VersionKind.values), name="market_version_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} v{self.number}"


class FormerName(models.Model):
    """曾用名: a name the entity carried until a rename (名称变更登记)."""

    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("市场主体"), on_delete=models.PROTECT, related_name="former_names"
    )
    name = models.CharField(_("曾用名"), max_length=200)
    used_until = models.DateField(_("使用至"))
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("曾用名")
        verbose_name_plural = _("曾用名")
        ordering = ["organization_id", "-used_until", "-id"]

    def __str__(self) -> str:
        return self.name


class EntitySearchKey(models.Model):
    """The search index of entity names (decision 0014): every suffix of the normalized name, and
    ``~`` + every suffix of its pinyin initials, cut to :data:`KEY_LENGTH` characters.

    A name fragment or initials query is then one prefix range over the primary key (an index
    that a two-character fragment can use, unlike a trigram index). Rewritten whole by the
    registry services whenever the name changes.
    """

    pk = models.CompositePrimaryKey("key", "organization")
    key = models.CharField(_("检索键"), max_length=24, db_collation=search_key_collation())
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("名称检索键")
        verbose_name_plural = _("名称检索键")

    def __str__(self) -> str:
        return self.key


class EntityImport(models.Model):
    """One bulk import of the registry (批量导入): file, who, counts and the per-row errors."""

    file_name = models.CharField(_("文件名"), max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_label = models.CharField(_("导入人（系统）"), max_length=150, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    encoding = models.CharField(_("文件编码"), max_length=20, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_created = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("变更"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("未变"), default=0)
    rows_failed = models.PositiveIntegerField(_("错误行"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("主体批量导入")
        verbose_name_plural = _("主体批量导入")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="market_import_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
