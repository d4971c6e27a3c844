"""Parties and logins (当事人与账户).

A Person (natural person) is not a User (a login): minors and walk-in applicants have no login.
An Organization is keyed by its unified social credit code and is the record that the later
supervision platform shares. A Mandate records an agent acting for a person or organization.
Staff roles are scoped to a department and/or region; machines authenticate with ApiTokens.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.codes import random_code
from onewindow.core.fields import EncryptedTextField, KeyedHashField
from onewindow.core.masking import mask_id_number, mask_name, mask_phone

from .choices import Gender, IdType, MandateScope, OrganizationKind, PurposeKind, StaffRoleKind

#: The language of messages to a person or user who never chose one (settings.LANGUAGE_CODE).
DEFAULT_LANGUAGE = "zh-hans"
REF_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
REF_LENGTH = 16


def new_person_ref() -> str:
    """A fresh public reference of a person: 16 random base-32 characters (80 bits), so that a
    person's URL cannot be guessed or enumerated from another's (OWASP ASVS 5.0 V8: no
    sequential object references). The sequential id stays internal."""
    return random_code(REF_ALPHABET, REF_LENGTH)


class Person(models.Model):
    """A natural person (自然人): an applicant, an agent or a member of staff.

    Real-name registration (实名认证) is by identity document and mobile number. The ID number
    and the phone are personal information (个人信息保护法 PIPL art. 28, 51): stored only
    encrypted (AES-GCM), found by a keyed hash, masked everywhere except on a detail view for
    authorized staff, and every unmasked view is audited. One person per (document type, number).
    A person need not have a login (minors, walk-in applicants at a window). URLs and API paths
    name a person by ``ref`` (公开编号, random), never by the sequential id. ``preferred_language``
    (首选语言) is the language of the messages the person receives (notifications), set by the
    language switch of their login; zh-Hans unless they chose otherwise.
    """

    ref = models.CharField(_("公开编号"), max_length=24, unique=True, default=new_person_ref, editable=False)
    name = models.CharField(_("姓名"), max_length=100)
    id_type = models.CharField(_("证件类型"), max_length=32, choices=IdType.choices,
                               default=IdType.RESIDENT_ID)
    id_number = EncryptedTextField(_("证件号码"))
    id_number_hash = KeyedHashField(_("证件号码检索值"), source="id_number", normalize="upper")
    phone = EncryptedTextField(_("手机号码"), blank=True)
    phone_hash = KeyedHashField(_("手机号码检索值"), source="phone")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    real_name_verified = models.BooleanField(_("已实名认证"), default=False)
    real_name_verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)
    preferred_language = models.CharField(_("首选语言"), max_length=10, choices=settings.LANGUAGES,
                                          default=DEFAULT_LANGUAGE)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("更新人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number_hash"],
                                    name="accounts_person_unique_document"),
            models.CheckConstraint(condition=Q(id_type__in=IdType.values),
                                   name="accounts_person_id_type_valid"),
            models.CheckConstraint(condition=Q(gender__in=Gender.values),
                                   name="accounts_person_gender_valid"),
            models.CheckConstraint(
                condition=Q(real_name_verified=False, real_name_verified_at__isnull=True)
                | Q(real_name_verified=True, real_name_verified_at__isnull=False),
                name="accounts_person_verified_has_time",
            ),
        ]

    def __str__(self) -> str:
        # Masked: __str__ ends up in logs, admin breadcrumbs and audit labels.
        return f"{mask_name(self.name)} ({mask_id_number(self.id_number)})"

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)


class Organization(models.Model):
    """A legal person or other organization (法人和其他组织), keyed by its unified social credit
    code (统一社会信用代码, GB 32100-2015). The same record is shared by the later supervision
    platform (事中事后综合监管: market-entity registry), so the code is unique and never reused.
    """

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("组织类别"), max_length=32, choices=OrganizationKind.choices,
                            default=OrganizationKind.ENTERPRISE)
    legal_representative_name = models.CharField(_("法定代表人（负责人）"), max_length=100, blank=True)
    region = models.ForeignKey("core.Region", verbose_name=_("登记地区划"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="organizations")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("法人和其他组织")
        verbose_name_plural = _("法人和其他组织")
        ordering = ["credit_code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OrganizationKind.values),
                                   name="accounts_organization_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.credit_code})"


class Mandate(models.Model):
    """A mandate (委托授权): an agent (代理人, a Person) acts for exactly one principal — a Person or
    an Organization — within a scope (all items or a list of catalog item codes) and a validity
    period; revocable with a reason.

    Basis: 民法典 arts. 161-175 (委托代理: the principal defines the scope and term of the
    authority; a mandate ends on revocation or expiry).
    """

    agent = models.ForeignKey(Person, verbose_name=_("代理人"), on_delete=models.PROTECT,
                              related_name="mandates_as_agent")
    principal_person = models.ForeignKey(Person, verbose_name=_("委托人（自然人）"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="mandates_as_principal")
    principal_organization = models.ForeignKey(Organization, verbose_name=_("委托人（组织）"), null=True,
                                               blank=True, on_delete=models.PROTECT, related_name="mandates")
    scope = models.CharField(_("委托范围"), max_length=10, choices=MandateScope.choices,
                             default=MandateScope.ALL)
    item_codes = models.JSONField(_("委托事项编码"), default=list, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now, editable=False)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("授权操作人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销操作人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("委托授权")
        verbose_name_plural = _("委托授权")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal_person__isnull=False, principal_organization__isnull=True)
                | Q(principal_person__isnull=True, principal_organization__isnull=False),
                name="accounts_mandate_exactly_one_principal",
            ),
            models.CheckConstraint(condition=Q(scope__in=MandateScope.values),
                                   name="accounts_mandate_scope_valid"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True)
                                   | Q(valid_to__gte=models.F("valid_from")),
                                   name="accounts_mandate_period_ordered"),
            models.CheckConstraint(condition=~Q(agent=models.F("principal_person")),
                                   name="accounts_mandate_not_self"),
        ]

    def __str__(self) -> str:
        principal = self.principal_organization or self.principal_person
        return f"{self.agent} → {principal}"

    def is_valid_on(self, day: datetime.date) -> bool:
        """In force on ``day``: not revoked and ``valid_from <= day <= valid_to``."""
        return (self.revoked_at is None and self.valid_from <= day
                and (self.valid_to is None or day <= self.valid_to))

    def covers(self, item_code: str) -> bool:
        return self.scope == MandateScope.ALL or item_code in (self.item_codes or [])


def valid_mandates_q(day: datetime.date, prefix: str = "") -> Q:
    """The filter for mandates in force on ``day`` (prefix e.g. ``"mandates_as_principal__"``)."""
    return (Q(**{f"{prefix}revoked_at__isnull": True, f"{prefix}valid_from__lte": day})
            & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})))


class User(AbstractUser):
    """A login (用户账号). Linked to a Person for citizens and staff alike (real-name accounts,
    网络安全法 art. 24); an enterprise agent's login also names its Organization. ``preferred_language``
    is the language the user last chose with the language switch: their messages go out in it."""

    person = models.OneToOneField(Person, verbose_name=_("自然人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="user")
    organization = models.ForeignKey(Organization, verbose_name=_("所属组织"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="users")
    preferred_language = models.CharField(_("首选语言"), max_length=10, choices=settings.LANGUAGES,
                                          default=DEFAULT_LANGUAGE)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class StaffRole(models.Model):
    """A staff role (工作人员角色) held by a user: 受理员 window clerk, 审核员 reviewer, 中心负责人
    center manager, 部门管理员 department admin or 系统管理员 system admin.

    The scope is a department (core.Department) and/or a region (core.Region, which includes its
    sub-regions); a system admin needs no scope. A service-center scope (a FK to centers.Center)
    will be added by the service-center issue. Roles are revoked (valid=False, with time and
    reason), never deleted, so the audit trail keeps its meaning.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="staff_roles")
    role = models.CharField(_("角色"), max_length=20, choices=StaffRoleKind.choices)
    department = models.ForeignKey("core.Department", verbose_name=_("所属部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="staff_roles")
    region = models.ForeignKey("core.Region", verbose_name=_("管辖区划"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="staff_roles")
    valid = models.BooleanField(_("有效"), default=True)
    granted_at = models.DateTimeField(_("授予时间"), default=timezone.now, editable=False)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("授予人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("工作人员角色")
        verbose_name_plural = _("工作人员角色")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=StaffRoleKind.values),
                                   name="accounts_staffrole_role_valid"),
            models.CheckConstraint(
                condition=Q(role=StaffRoleKind.SYSTEM_ADMIN) | Q(department__isnull=False)
                | Q(region__isnull=False),
                name="accounts_staffrole_scoped",
            ),
            models.CheckConstraint(condition=Q(valid=True) | Q(revoked_at__isnull=False),
                                   name="accounts_staffrole_revoked_has_time"),
        ]

    def __str__(self) -> str:
        scope = self.department or self.region or ""
        return f"{self.user} · {self.get_role_display()} {scope}".strip()


TOKEN_PREFIX = "ow"  # noqa: S105 - a public marker, not a secret


def hash_token_secret(secret: str) -> str:
    """SHA-256 (hex) of a token's secret part: the only form in which a secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_parts() -> tuple[str, str]:
    """A fresh (prefix, secret): 12 hex characters of public id and 43 characters of secret."""
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def format_token(prefix: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def parse_token(token: str) -> tuple[str, str] | None:
    """``ow_<prefix>_<secret>`` → (prefix, secret), or None when it is not shaped like a token."""
    head, sep, rest = token.strip().partition("_")
    prefix, sep2, secret = rest.partition("_")
    if head != TOKEN_PREFIX or not sep or not sep2 or len(prefix) != 12 or not secret:
        return None
    return prefix, secret


class ApiToken(models.Model):
    """A machine token (机器令牌) for the API: per system or device, scoped, revocable.

    Only the SHA-256 of the secret is stored; the full token ``ow_<prefix>_<secret>`` is shown
    once at issue. Scopes are strings like ``catalog:read``, ``cases:write`` or ``device``.
    Basis: 网络安全等级保护基本要求 GB/T 22239-2019 (身份鉴别, 访问控制): each machine has its own
    credential with least privilege, and a leaked credential can be revoked alone.
    """

    name = models.CharField(_("名称"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("所属用户"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="api_tokens")
    system_name = models.CharField(_("所属系统"), max_length=100, blank=True)
    prefix = models.CharField(_("令牌前缀"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("密钥摘要"), max_length=64, editable=False)
    scopes = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("机器令牌")
        verbose_name_plural = _("机器令牌")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(owner__isnull=False) | ~Q(system_name=""),
                                   name="accounts_apitoken_has_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (ow_{self.prefix}_…)"

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class PersonAccess(models.Model):
    """个人信息查阅记录: one unmasked view of a person's personal data by a member of staff, with
    its purpose (the case, ticket, appointment, tax record or registration it was for) and the
    department handling that record.

    Written together with the audit entry by the unmask selector only, never changed. It is what
    the person sees on their "who viewed my data" page (个人信息保护法 PIPL art. 45: the right to
    know and to consult how one's data is handled) and what the per-staff rate limits count
    (``ACCOUNTS_UNMASK_SOFT_LIMIT`` / ``ACCOUNTS_UNMASK_HARD_LIMIT`` views per hour).
    """

    person = models.ForeignKey(Person, verbose_name=_("自然人"), on_delete=models.PROTECT,
                               related_name="accesses")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT,
                               related_name="person_accesses")
    viewer_role = models.CharField(_("查看人角色"), max_length=20, choices=StaffRoleKind.choices, blank=True)
    department = models.ForeignKey("core.Department", verbose_name=_("经办单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    purpose_kind = models.CharField(_("查看目的"), max_length=20, choices=PurposeKind.choices)
    purpose_reference = models.CharField(_("相关业务编号"), max_length=64, blank=True)
    at = models.DateTimeField(_("查看时间"), default=timezone.now)

    class Meta:
        verbose_name = _("个人信息查阅记录")
        verbose_name_plural = _("个人信息查阅记录")
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(purpose_kind__in=PurposeKind.values),
                                              name="accounts_personaccess_purpose_valid")]
        indexes = [models.Index(fields=["person", "-at"], name="accounts_access_person"),
                   models.Index(fields=["viewer", "at"], name="accounts_access_viewer")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_purpose_kind_display()} {self.purpose_reference}"
