"""Reads of the market-entity registry (信息共享), scoped to the supervising staff.

Rule (issue #11 part 4; seed article 事中事后综合监管 信息共享): every supervising department's staff
(``permissions.can_view_registry``) may search the registry and open any entity's profile; anyone
else gets 403 ``market_registry_forbidden``. Each lookup is audited with the viewer's department
(GB/T 22239-2019 安全审计, 等保 2.0) as ``market.entity_view``; a search is not, since its rows
show only what 企业信息公示 publishes. The legal representative's ID number and phone are masked; unmasking is a
separate, audited and rate-limited read (:func:`entity_unmasked_for`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User
from onewindow.accounts.unmask import hard_limit, record_legal_rep_view
from onewindow.core.audit import PERSONAL_DATA_VIEW, audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.models import AuditEntry, Region, RegionLevel

from . import permissions as perms
from .choices import EntityStatus
from .models import EntityImport, EntityProfile, EntitySearchKey, EntityVersion, FormerName, Industry
from .search_keys import (
    INITIALS_MARK,
    KEY_LENGTH,
    MIN_QUERY,
    RANGE_END,
    is_initials_query,
    is_too_broad,
    normalize_name,
)

#: A search reads at most this many matches (in index order); a broader query shows "10,000+"
#: and asks for a narrower one, so no query costs more than one bounded index range.
SEARCH_CAP = 10_000
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
VERSIONS_SHOWN = 50
UNMASK_WINDOW = datetime.timedelta(hours=1)
UNMASKED_FIELDS = ["legal_rep_id_number", "legal_rep_phone"]
_CODE = re.compile(r"^([0-9A-HJ-NPQRTUWXY]{18}|\d{15})$")
PROFILE_RELATED = ("organization", "district", "street", "industry")
#: Columns a result row does not show (the personal ones would be decrypted for nothing).
ROW_DEFERRED = ("legal_rep_id_number", "legal_rep_phone", "legal_rep_id_number_hash", "business_scope", "address")


def require_viewer(user: Any) -> None:
    if not perms.can_view_registry(user):
        raise PermissionDenied(_("只有监管部门的工作人员可以查询市场主体库"), code="market_registry_forbidden")


@dataclass
class SearchPage:
    """One page of a search: profiles (organization, regions and industry loaded), the total
    (``capped``: at least that many), the page and the number of pages."""

    items: list[EntityProfile]
    total: int
    page: int
    pages: int
    capped: bool = False


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    district: str = ""
    street: str = ""
    industry: str = ""
    status: str = ""

    def as_audit(self) -> dict[str, str]:
        return {
            k: v
            for k, v in {
                "q": self.q[:60],
                "district": self.district,
                "street": self.street,
                "industry": self.industry,
                "status": self.status,
            }.items()
            if v
        }


def _invalid(name: str, code: str, message: Any) -> DomainError:
    return DomainError(message, code=code, fields={name: [message]}, status=422)


def _filtered(filters: SearchFilters, prefix: str) -> Q:
    """The profile filters, as a Q on ``prefix`` (``""`` for profiles, the path from keys)."""
    q = Q()
    if filters.district:
        region = Region.objects.filter(code=filters.district, level=RegionLevel.DISTRICT).first()
        if region is None:
            raise _invalid(
                "district", "market_region_unknown", _("未知的行政区划代码：%(code)s") % {"code": filters.district[:12]}
            )
        q &= Q(**{f"{prefix}district": region})
    if filters.street:
        region = Region.objects.filter(code=filters.street, level=RegionLevel.STREET).first()
        if region is None:
            raise _invalid(
                "street", "market_region_unknown", _("未知的行政区划代码：%(code)s") % {"code": filters.street[:12]}
            )
        q &= Q(**{f"{prefix}street": region})
    if filters.industry:
        code = filters.industry.upper()
        if not Industry.objects.filter(code=code).exists():
            raise _invalid(
                "industry",
                "market_industry_unknown",
                _("未知的国民经济行业代码（GB/T 4754-2017）：%(code)s") % {"code": code[:5]},
            )
        q &= (
            Q(**{f"{prefix}industry__section": code})
            if code.isalpha()
            else Q(**{f"{prefix}industry__code__startswith": code})
        )
    if filters.status:
        if filters.status not in EntityStatus.values:
            raise _invalid("status", "market_status_unknown", _("登记状态应为存续、吊销、注销或迁出"))
        q &= Q(**{f"{prefix}status": filters.status})
    return q


@dataclass
class _Matches:
    """The matches of a search, counted and paged in SQL: either profile rows (filters alone, or a
    credit code) or ordered key ranges, one per reading of the query (``ranges``: each an entity's
    first key in the range only, and not already in an earlier range)."""

    rows: QuerySet[EntityProfile] | None = None
    ranges: list[QuerySet[EntitySearchKey]] = field(default_factory=list)
    counted: list[QuerySet[EntitySearchKey]] = field(default_factory=list)
    found: list[int] = field(default_factory=list)

    def count(self, cap: int) -> tuple[int, bool]:
        """(the distinct matches, at most ``cap``; whether there were more). A key range is
        counted over its first ``cap + 1`` index entries, in one statement for all ranges."""
        if self.rows is not None:
            found = self.rows[: cap + 1].count()
            return min(found, cap), found > cap
        counts: list[str] = []
        params: list[Any] = []
        for keys in self.counted:
            sql, part = keys.values_list("organization_id")[: cap + 1].query.sql_with_params()
            counts.append(f"(SELECT COUNT(DISTINCT s.organization_id) FROM ({sql}) s)")  # noqa: S608 - ORM SQL
            params.extend(part)
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(counts), params)
            self.found = [int(n) for n in cursor.fetchone()]
        total = sum(self.found)
        return min(total, cap), total > cap

    def page_ids(self, offset: int, limit: int) -> list[int]:
        """The organization ids of one page, in match order (after :meth:`count`): each range read
        in index order from its offset, so a first page reads some twenty index entries."""
        if self.rows is not None:
            return list(self.rows.values_list("organization_id", flat=True)[offset : offset + limit])
        ids: list[int] = []
        for keys, found in zip(self.ranges, self.found, strict=True):
            if limit > 0 and offset < found:
                take = min(limit, found - offset)
                ids += keys.values_list("organization_id", flat=True)[offset : offset + take]
                limit -= take
            offset = max(0, offset - found)
        return ids


def _key_matches(text: str, norm: str, filters: SearchFilters) -> _Matches:
    """The key ranges of a name query: pinyin initials (an ASCII query), then the name fragment,
    each read in key order. An entity with two keys in a range (宏达宏达 for 宏达) counts at its
    first; one already in the initials range is not read again in the name range. One query per
    range: an OR of two ranges cannot be read in index order, and PostgreSQL then sorts every
    match."""
    profile_filter = _filtered(filters, "organization__market_profile__")
    ranges: list[tuple[str, Q]] = []
    if is_initials_query(norm):
        marked = INITIALS_MARK + norm[: KEY_LENGTH - 1]
        # the key holds the first characters only: the rest is checked on the stored initials
        longer = Q(organization__market_profile__name_initials__contains=norm) if len(norm) >= KEY_LENGTH else Q()
        ranges.append((marked, longer))
    ranges.append((norm[:KEY_LENGTH], Q(organization__name__icontains=text) if len(norm) > KEY_LENGTH else Q()))
    matches = _Matches()
    for number, (prefix, check) in enumerate(ranges):
        keys = EntitySearchKey.objects.filter(check, key__gte=prefix, key__lt=prefix + RANGE_END)
        if profile_filter:
            keys = keys.filter(profile_filter)
        for earlier, earlier_check in ranges[:number]:
            keys = keys.exclude(
                Exists(
                    EntitySearchKey.objects.filter(
                        earlier_check,
                        organization_id=OuterRef("organization_id"),
                        key__gte=earlier,
                        key__lt=earlier + RANGE_END,
                    )
                )
            )
        keys = keys.order_by("key", "organization_id")
        # counted without probes: distinct entities among the first index entries
        matches.counted.append(keys)
        # paged with one probe a row read: skip an entity's later key in this range (the filters
        # hold per entity, not per key)
        first = EntitySearchKey.objects.filter(
            organization_id=OuterRef("organization_id"), key__gte=prefix, key__lt=OuterRef("key")
        )
        matches.ranges.append(keys.exclude(Exists(first)))
    return matches


def _matches(filters: SearchFilters) -> _Matches:
    text = " ".join(filters.q.split())[:60]
    if not text:
        return _Matches(rows=EntityProfile.objects.filter(_filtered(filters, "")).order_by("organization_id"))
    code = text.replace(" ", "").upper()
    if _CODE.match(code):
        rows = EntityProfile.objects.filter(_filtered(filters, ""), organization__credit_code=code)
        return _Matches(rows=rows.order_by("organization_id"))
    norm = normalize_name(text)
    if len(norm) < MIN_QUERY:
        raise _invalid("q", "market_search_too_short", _("请至少输入两个字，或拼音首字母、统一社会信用代码"))
    if is_too_broad(norm):
        raise _invalid(
            "q", "market_search_too_broad", _("查询词只含组织形式（如“有限公司”），请输入字号等更具体的名称")
        )
    return _key_matches(text, norm, filters)


def entity_search_for(user: Any, filters: SearchFilters, *, page: int = 1, page_size: int = PAGE_SIZE) -> SearchPage:
    """Search the registry (信息共享): by credit code (or 注册号) exactly, by a name fragment of two
    characters or more, or by pinyin initials (``hdmy`` finds 宏达贸易), and/or by district, street,
    industry (a GB/T 4754 code: a section letter, or a division/group/class code and its
    sub-codes) and status. Name matches come in index order; at most :data:`SEARCH_CAP` index
    entries of each reading are counted (``capped``); the count is one SQL statement and the
    page one index-ordered read from its offset: no match list passes through Python. Refusals:
    403 ``market_registry_forbidden``; 422 ``market_search_too_short``, ``market_search_too_broad``,
    ``market_region_unknown``, ``market_industry_unknown``, ``market_status_unknown``. Not
    audited: a result row shows only what 企业信息公示 publishes (name, code, type, industry,
    region, status); opening a profile is the audited lookup."""
    require_viewer(user)
    matches = _matches(filters)
    total, capped = matches.count(SEARCH_CAP)
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    pages = max(1, -(-total // page_size))
    page = max(1, min(int(page), pages))
    offset = (page - 1) * page_size
    page_ids = matches.page_ids(offset, min(page_size, total - offset)) if total > offset else []
    rows = EntityProfile.objects.select_related(*PROFILE_RELATED).defer(*ROW_DEFERRED).filter(pk__in=page_ids)
    found = {p.pk: p for p in rows.order_by()} if page_ids else {}
    return SearchPage(
        items=[found[i] for i in page_ids if i in found], total=total, page=page, pages=pages, capped=capped
    )


@dataclass
class EntityProfileView:
    """An entity's registration for the profile page: the profile (masked personal fields), its
    latest versions (newest first), former names and the number of versions."""

    profile: EntityProfile
    versions: list[EntityVersion] = field(default_factory=list)
    former_names: list[FormerName] = field(default_factory=list)
    version_count: int = 0

    @property
    def organization(self) -> Any:
        return self.profile.organization


def _profile(credit_code: str) -> EntityProfile:
    code = str(credit_code or "").strip().upper()[:18]
    profile = (
        EntityProfile.objects.select_related(*PROFILE_RELATED, "industry__parent")
        .filter(organization__credit_code=code)
        .first()
    )
    if profile is None:
        raise NotFound(_("未找到该市场主体"), code="entity_not_found")
    return profile


def entity_profile_for(user: Any, credit_code: str) -> EntityProfileView:
    """The registration of one entity (登记信息) with its change history and former names.
    Refusals: 403 ``market_registry_forbidden``, 404 ``entity_not_found``. Audited as
    ``market.entity_view`` with the viewer's department."""
    require_viewer(user)
    profile = _profile(credit_code)
    org = profile.organization
    versions = list(
        EntityVersion.objects.select_related("by").filter(organization=org).order_by("-number")[:VERSIONS_SHOWN]
    )
    former = list(FormerName.objects.filter(organization=org).order_by("-used_until", "-id"))
    audit_record(
        actor=user,
        action="market.entity_view",
        target=org,
        role=account_perms.primary_role(user),
        after={"department_id": perms.lookup_department_id(user)},
    )
    return EntityProfileView(profile=profile, versions=versions, former_names=former, version_count=profile.version)


def entity_unmasked_for(user: Any, credit_code: str, *, machine: bool = False) -> EntityProfile:
    """The legal representative's ID number and phone in clear, for a regulator or department
    admin (``permissions.can_unmask_legal_rep``); every view is audited (``personal_data.view``
    with the entity and the viewer's department as purpose) and counts against the same hourly
    limit as any unmasked view (``ACCOUNTS_UNMASK_HARD_LIMIT``). A machine never unmasks.
    Re-authentication is the view's job, before this is called.

    Refusals (each audited as ``personal_data.view_refused`` except 404): 403
    ``market_registry_forbidden``, 404 ``entity_not_found``, 403
    ``unmask_machine_forbidden`` / ``unmask_forbidden``, 429 ``unmask_rate_limited``.
    Basis: 个人信息保护法 arts. 6, 51; GB/T 22239-2019 访问控制, 安全审计."""
    require_viewer(user)
    profile = _profile(credit_code)
    org = profile.organization
    role = account_perms.primary_role(user)
    error: DomainError | None = None
    if machine:
        error = PermissionDenied(_("自助终端、显示屏和机器令牌不能查看完整的个人信息"), code="unmask_machine_forbidden")
    elif not perms.can_unmask_legal_rep(user):
        error = PermissionDenied(_("只有监管人员和部门管理员可以查看法定代表人的完整信息"), code="unmask_forbidden")
    if error is not None:
        audit_record(actor=user, action="personal_data.view_refused", target=org, after={"code": error.code}, role=role)
        raise error
    viewer = account_perms.as_user(user)
    assert viewer is not None
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=viewer.pk).values_list("pk", flat=True).first()
        recent = AuditEntry.objects.filter(
            action=PERSONAL_DATA_VIEW, actor_id=str(viewer.pk), created_at__gt=now - UNMASK_WINDOW
        ).count()
        limited = recent >= hard_limit()
        if not limited:
            audit_record(
                actor=user,
                action=PERSONAL_DATA_VIEW,
                target=org,
                role=role,
                after={
                    "fields": UNMASKED_FIELDS,
                    "purpose": {
                        "kind": "market_entity",
                        "reference": org.credit_code,
                        "department_id": perms.lookup_department_id(user),
                    },
                },
            )
            # The person behind the ID number, if known, sees the view on their access log.
            record_legal_rep_view(
                viewer,
                profile.legal_rep_id_number,
                reference=org.credit_code,
                department_id=perms.lookup_department_id(user),
                at=now,
            )
    if limited:
        audit_record(
            actor=user,
            action="personal_data.view_refused",
            target=org,
            after={"code": "unmask_rate_limited"},
            role=role,
        )
        raise RateLimited(_("一小时内查看完整个人信息的次数已达上限，请稍后再试"), code="unmask_rate_limited")
    return profile


def industries_for_filter() -> QuerySet[Industry]:
    """The sections and divisions of GB/T 4754, for the search form."""
    return Industry.objects.filter(level__in=["section", "division"]).order_by("section", "code")


def streets_of(district_code: str) -> QuerySet[Region]:
    """The streets and towns of a district, for the search form."""
    return Region.objects.filter(parent__code=district_code, level=RegionLevel.STREET).order_by("sort_order", "code")


def entity_import_for(user: Any, import_id: Any) -> EntityImport:
    """One bulk import with its counts and errors, for the registrars (and the system admin).
    Refusals: 403 ``market_registry_forbidden``, 404 ``entity_import_not_found``."""
    if not perms.can_write_registry(user):
        raise PermissionDenied(
            _("只有登记机关的数据报送员或部门管理员可以查看导入记录"), code="market_registry_forbidden"
        )
    run = EntityImport.objects.filter(pk=as_id(import_id)).first()
    if run is None:
        raise NotFound(_("未找到该导入记录"), code="entity_import_not_found")
    return run


def can_view(user: Any) -> bool:
    """For the pages: may the user open the registry at all."""
    return perms.can_view_registry(user)


def forbidden() -> PermissionDenied:
    return PermissionDenied(_("只有监管部门的工作人员可以查询市场主体库"), code="market_registry_forbidden")


def can_import(user: Any) -> bool:
    """For the pages: may the user import into the registry."""
    return perms.can_write_registry(user)


def import_forbidden() -> PermissionDenied:
    return PermissionDenied(
        _("只有登记机关的数据报送员或部门管理员可以维护市场主体库"), code="market_registry_forbidden"
    )
